// The restic repository as everything above restic/ sees it: one narrow interface with each method's
// contract, implemented by the restic CLI (cli-repository.ts) and in memory (memory-repository.ts).
import type { Readable, Writable } from "node:stream";
import type { Progress } from "./progress.js";

export interface Snapshot {
  id: string;
  time: Date;
  /** The time exactly as restic recorded it (RFC 3339 with its offset): retention buckets use it. */
  rawTime: string;
  paths: string[];
  hostname: string;
  tags: Record<string, string>;
  /** Bytes read from the source (the dump's size for a stdin snapshot), when restic recorded it. */
  totalBytes?: number;
  durationSeconds?: number;
  /** For a copy made by `restic copy` (the offsite repository): the id of the snapshot it copies. */
  original?: string;
}

export interface SnapshotSaved {
  snapshotId: string;
  dataAdded: number;
  totalBytes: number;
}

/** One streamed file on its way into a snapshot. Nothing is saved until commit() resolves. */
export interface StdinUpload {
  /** The name the file is stored under (restic 0.18.0 cannot store it below a directory). */
  readonly filename: string;
  /** Where the data goes, with backpressure, once ready() said true. Never end it: commit() does. */
  readonly stdin: Writable;
  /**
   * Resolves true once the upload reads the data (its lock taken), false when it failed first (abort()
   * then returns why) or `signal` aborted. Call it, then produce.
   */
  ready(signal: AbortSignal): Promise<boolean>;
  /** Calls back once if the upload fails on its own before commit() or abort() (lock, password, disk). */
  onEarlyExit(callback: () => void): void;
  /**
   * Confirms that exactly `bytes` were written; resolves once the snapshot exists. When `signal`
   * aborts first, the upload is stopped (its lock released) and this rejects.
   */
  commit(bytes: number, signal: AbortSignal): Promise<SnapshotSaved>;
  /**
   * Ends the upload without a snapshot, whatever was written, and releases what it holds (its lock
   * included). Returns the upload's own failure when it had already failed by itself.
   */
  abort(): Promise<Error | undefined>;
  /** After abort() stopped a running upload: what restic had reported (e.g. retrying an unreachable backend), or "". */
  readonly lastWords: string;
}

export interface PathBackupResult extends SnapshotSaved {
  totalFiles: number;
}

export interface DumpStream {
  /** The file's bytes. Read it to its end (or destroy it). */
  stdout: Readable;
  /** Resolves when the whole file was read back; rejects with the typed error otherwise. */
  done: Promise<void>;
}

export interface TreeDumpStream {
  stdout: Readable;
  /** Resolves when the whole tree was sent; rejects with the typed error otherwise. */
  done: Promise<{ inexactTimes: number; firstInexact?: string }>;
}

export interface RestoreOptions {
  snapshotId: string;
  /** The path stored in the snapshot whose contents are restored (DIR receives what is below it). */
  path: string;
  target: string;
  /** Remove files in DIR that the snapshot does not hold: DIR ends up exactly equal. */
  exact?: boolean;
  /** Read the restored files back and compare them. */
  verify?: boolean;
  onProgress?: (p: Progress) => void;
}

export interface RestoreSummary {
  filesRestored: number;
  bytesRestored: number;
  filesDeleted: number;
}

/** A node's owner, mode and time as a restore must give them back. */
export interface NodeMeta {
  uid: number;
  gid: number;
  /** Unix permission bits with setuid (0o4000), setgid (0o2000) and sticky (0o1000). */
  mode: number;
  mtime: string;
}

export interface TreeCount {
  /** The stored path itself (the volume's root directory), when restic listed it. */
  root?: NodeMeta;
  files: number;
  dirs: number;
  symlinks: number;
  /** Other node types (devices, FIFOs, sockets). */
  other: number;
  /** Sum of the regular files' sizes. */
  bytes: number;
}

export const emptyCount = (): TreeCount => ({ files: 0, dirs: 0, symlinks: 0, other: 0, bytes: 0 });

/**
 * Every method takes an AbortSignal and stops promptly once it aborts; a process it started is gone
 * (and its lock released) when the promise settles. Failures are ResticError subclasses by exit code.
 * Commands that need the repository's lock wait for another run's lock rather than failing at once.
 */
export interface Repository {
  /** The repository as shown in logs and errors: credentials never appear. */
  readonly display: string;
  /** Starts a snapshot of one file named by `parts` (e.g. postgres, db, app.dump), tagged `tags`. */
  openStdin(options: { parts: readonly string[]; tags: readonly string[] }, signal: AbortSignal): Promise<StdinUpload>;
  /**
   * Backs up one directory as its own snapshot; rejects (3 = partial) when something was unreadable.
   * `onProgress`, when given, is told how far restic has got as it goes.
   */
  backupPath(path: string, tags: readonly string[], signal: AbortSignal, onProgress?: (p: Progress) => void): Promise<PathBackupResult>;
  /** Every snapshot the agent made (tag backup-agent), oldest first. Takes no lock. */
  snapshots(signal: AbortSignal): Promise<Snapshot[]>;
  /** One stored file as a stream. */
  dump(snapshotId: string, path: string, signal: AbortSignal): DumpStream;
  /** The files below a snapshot's stored path, restored into a directory. */
  restore(options: RestoreOptions, signal: AbortSignal): Promise<RestoreSummary>;
  /** Counts what a snapshot holds strictly below `root` (its stored path), and says what `root` itself is. */
  countTree(snapshotId: string, root: string, signal: AbortSignal): Promise<TreeCount>;
  /**
   * Everything below a snapshot's stored path as a tar stream (`restic dump --archive tar`), with
   * owners, modes, symlinks, extended attributes and exact (nanosecond) times; names in it start with
   * the path's parts, without a leading "/". `done` says how many entries kept only whole seconds.
   */
  dumpTree(snapshotId: string, path: string, signal: AbortSignal): TreeDumpStream;
  /** Forgets exactly these snapshots (never prunes). Unknown ids fail. */
  forget(ids: readonly string[], signal: AbortSignal): Promise<void>;
  /** Removes data no snapshot references. Takes the exclusive lock. */
  prune(signal: AbortSignal): Promise<void>;
  /**
   * `restic check`, optionally reading a subset of the data ("5%", "1/7", "500M"). Exclusive lock.
   * When it finds damaged or missing packs it throws a ResticCheckError naming them, the snapshots
   * whose data they hold, and restic's repair advice.
   */
  check(readDataSubset: string | undefined, signal: AbortSignal): Promise<void>;
  /** Copies the agent's snapshots of `source` that this repository lacks into it. */
  copyFrom(source: Repository, signal: AbortSignal): Promise<void>;
  /** Removes stale locks only: older than 30 minutes, or left by a dead process on this host. */
  unlock(signal: AbortSignal): Promise<void>;
  /**
   * Makes sure the repository exists: creates it only when it does not (never after any other
   * failure: a wrong password never re-initialises). `like` gives the chunker parameters to copy.
   * Returns true when it created the repository. Idempotent.
   */
  ensureInitialised(signal: AbortSignal, like?: Repository): Promise<boolean>;
  /** Whether the repository exists (false only for restic's "no repository"; any other failure rejects). */
  exists(signal: AbortSignal): Promise<boolean>;
}
