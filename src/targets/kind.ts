// The contract every kind of target implements in its own folder (postgres/, meilisearch/, exec/,
// volumes/): how it is found, stored, proven and brought back. Jobs loop over the registry of kinds
// and report what the kinds return; a kind never records metrics or pings, it returns what it did.
import type { Logger } from "pino";
import { BackupError } from "../core/errors.js";
import type { ItemProgress } from "../core/job.js";
import type { ContainerInfo } from "../docker/engine.js";
import type { Progress } from "../restic/progress.js";
import type { Repository, Snapshot } from "../restic/repository.js";
import type { TargetKindName } from "../restic/tags.js";

/** What a kind is given for one operation of one run. */
export interface KindRun {
  runId: string;
  /** Aborts on the job's timeout and on shutdown: stop promptly, store nothing partial. */
  signal: AbortSignal;
  log: Logger;
  /** The repository the operation reads or writes (the local one, or the offsite copy). */
  repository: Repository;
  /** The Compose scope discovery found the targets in. */
  scope: Scope;
  /** Told as a backup's bytes flow, per stored item (last with `done`); absent when nobody watches. */
  onProgress?: (p: ItemProgress) => void;
  /**
   * During verify: resolves once the repository may be read, after its check (which holds the
   * exclusive lock). Only a kind with `verifySetsUpFirst` sees it unresolved; it never rejects.
   */
  repositoryReady?: Promise<void>;
}

/** Which Compose project discovery looks at: undefined for every project. */
export interface Scope {
  project: string | undefined;
}

export interface Target {
  readonly kind: TargetKindName;
  /** The target's name in tags, files and metrics (the Compose service, or the volume's name). */
  readonly name: string;
  /** The container the target lives in; none for a volume. */
  readonly container?: ContainerInfo;
  /** Why the target cannot be backed up as labelled; it then fails with these instead of guessing. */
  readonly problems: string[];
}

/** One file (or directory tree) stored as its own snapshot. */
export interface StoredItem {
  /** The snapshot's kind= tag (postgres, postgres-globals, meilisearch, exec, volume). */
  kind: string;
  database?: string;
  /** The stored file's name, or the backed-up directory. */
  filename: string;
  snapshotId: string;
  bytes: number;
  /** Bytes restic added to the repository for it (after deduplication and compression). */
  added: number;
  seconds: number;
}

/** What one target's backup did: every part is either stored or failed, never silently skipped. */
export interface BackupOutcome {
  stored: StoredItem[];
  failed: { kind: string; database?: string; error: Error }[];
}

/** One checked part of a verify: a database ("" for the target as a whole, or PostgreSQL's globals). */
export interface VerifyPart {
  database: string;
  /** How messages name the part (`database "shop"`, `globals`); none for the target as a whole. */
  what?: string;
  ok: boolean;
  problem?: string;
}

export interface PlannedTarget {
  kind: string;
  name: string;
  container: string;
  state: string;
  details: Record<string, unknown>;
  /** The files a backup now would store. */
  files: string[];
  problems: string[];
  /** For a volume: where the agent reads it and why it is backed up. */
  volume?: { path: string; source: string };
}

/** What the operator asked to restore. */
export interface RestoreRequest {
  name: string;
  /** The newest backup at or before this time (default: the newest). */
  at?: Date;
  /** This snapshot (a run's manifest or one stored file), by id prefix. */
  snapshot?: string;
  /** Only this database. */
  database?: string;
  /** Into this new or empty directory instead of the live target (kinds that store directories). */
  to?: string;
  /** Recover to exactly `at` from the WAL archive, when the target has one (restore postgres --at). */
  pointInTime?: boolean;
  /** Point-in-time recovery into a new container of this name, left running (PostgreSQL with PITR). */
  toContainer?: string;
}

/** A restore found and checked, not yet done: printed, confirmed, then applied. */
export interface RestorePlan {
  kind: TargetKindName;
  name: string;
  /** Which backup: "run … (time)" or "snapshot … of time". */
  label: string;
  /** The backup's time. */
  time: Date;
  /** What applying it will do, one line each, for the confirmation. */
  lines: string[];
  /** It replaces live data, so it is confirmed first (a restore into a new directory is not). */
  live: boolean;
  /** The kind's own data for apply(). */
  detail: unknown;
}

export interface RestoreRun extends KindRun {
  /** Progress of one part (a database, a volume), drawn on a terminal; undefined when not drawn. */
  progress: (part: string) => ((p: Progress) => void) | undefined;
  /** Tells the operator one thing that was done ("restored appdb (… bytes)"), as it is done. */
  say: (line: string) => void;
}

/** There is no backup that answers a restore request (restore all skips such targets and says so). */
export class NoBackupError extends BackupError {
  override name = "NoBackupError";
}

export interface KindRestore<T extends Target> {
  /**
   * Finds the backup that answers `request` and checks that it can be applied, touching nothing.
   * `target` is what discovery finds now (undefined when nothing does). Throws naming the target when
   * there is no such backup or it cannot be applied (a read-only mount, a stopped container).
   */
  plan(request: RestoreRequest, target: T | undefined, snapshots: readonly Snapshot[], run: RestoreRun): Promise<RestorePlan>;
  /**
   * Applies plans of this kind made by plan(), in one batch (containers a batch needs stopped are
   * stopped once, and always started again). Every byte is proven against its recorded checksum
   * before live data is touched. Says one line per restored part as it is done.
   */
  apply(plans: readonly RestorePlan[], run: RestoreRun): Promise<void>;
}

export interface Kind<T extends Target = Target> {
  readonly name: TargetKindName;
  /** For counts in logs: "2 PostgreSQL target(s) found". */
  readonly title: string;
  /** How something becomes this kind's target, for the warning when nothing does. */
  readonly howToEnable: string;
  /** Why an expected target is not found, for its error: "no labelled container exists". */
  readonly whyMissing: string;
  /** The Docker labels this kind reads. */
  readonly labels: readonly string[];
  /** The label that makes a container this kind's target: without it, the kind's other labels do nothing. */
  readonly enabledBy?: string;
  /** The target as messages name it: `postgres target "db"`, `volume "data"`. */
  describe(name: string): string;

  /**
   * Every target in scope, running or not, sorted by name. A label that cannot be used becomes a
   * problem of its target, never a failure of discovery and never a silent skip. Changes nothing.
   */
  discover(scope: Scope, signal: AbortSignal): Promise<T[]>;

  /**
   * Runs `each` once for every target that may be backed up now, at most `concurrency` at once,
   * inside what this kind needs around its backups: the pre- and post-hooks of the containers a
   * target reads (post-hooks run even after a failure or an abort), for volumes the containers
   * stopped and always started again. Returns one error per target it did not back up or whose
   * guard failed (each naming its target), plus the rejections of `each`. Never throws for one target.
   */
  guard(targets: readonly T[], concurrency: number, run: KindRun, each: (target: T) => Promise<void>): Promise<Error[]>;

  /**
   * Backs up one target. May assume guard() holds. Must guarantee: EOF is the commit (a part's
   * snapshot exists only when its producer succeeded; a failed or aborted part leaves none), every
   * part not stored is in `failed` with why, and everything it acquired (sessions, temp files) is
   * released before it settles. Throws, naming the target, when nothing could be attempted (label
   * problems, container gone or stopped).
   */
  backup(target: T, run: KindRun): Promise<BackupOutcome>;

  /**
   * Proves the newest backup of the target called `name` by reading it all back and checking it
   * against what was recorded at backup time (and, where the kind can, restoring it into something
   * throwaway and querying it). `target` is what discovery finds now, or undefined. Returns one part
   * per checked database ("" for the target); throws naming the target when nothing could be checked
   * (no backup, no manifest, no image to restore into). Leaves nothing behind.
   */
  verify(name: string, target: T | undefined, snapshots: readonly Snapshot[], run: KindRun): Promise<VerifyPart[]>;

  /**
   * verify() starts its own set-up (a throwaway server) while the repository is still being checked,
   * and waits for `run.repositoryReady` before it reads the repository. Without it, verify() is
   * called once the repository may be read.
   */
  readonly verifySetsUpFirst?: boolean;

  /** What a backup of the target would store now, and the problems that would fail it. Changes nothing. */
  plan(target: T, signal: AbortSignal): Promise<PlannedTarget>;

  /** How the kind's backups come back; absent for kinds restored by hand (see the README). */
  readonly restore?: KindRestore<T>;
}
