// The Repository over the restic CLI (execa): repository and password only in the child's env.
// A restic this class killed (abort, timeout) leaves a lock; the lock is removed before the call settles.
import type { Secret } from "../config/secret.js";
import { BackupError } from "../core/errors.js";
import { checkRepository } from "./check.js";
import { type ResticEnv, runRestic } from "./command.js";
import { dumpFile } from "./dump.js";
import { ResticNoRepositoryError } from "./errors.js";
import { nodesBelow, withExactTimes } from "./exact-tar.js";
import { countSnapshotTree, listSnapshot } from "./ls.js";
import { backupPath } from "./path-backup.js";
import type { Progress } from "./progress.js";
import type { DumpStream, Repository, RestoreOptions, StdinUpload, TreeDumpStream } from "./repository.js";
import { restoreSnapshot } from "./restore.js";
import { parseSnapshots } from "./snapshots.js";
import { StdinBackup } from "./stdin-backup.js";
import { AGENT_TAG } from "./tags.js";

export interface ResticCliOptions {
  binary: string;
  repository: Secret;
  password: Secret;
  /** The `--host` of every snapshot this agent makes. */
  host: string;
  /** Shown in logs and errors instead of the repository (credentials redacted). */
  display: string;
  /** The backend's own credentials (AWS_* for an s3: offsite), for this repository's restic only. */
  credentials?: Readonly<Record<string, Secret>>;
}

/**
 * How long removing the lock of a restic we killed may take: short, since the kill may be a timeout
 * against an unreachable repository. A lock left anyway is stale (its process is dead) and the next
 * run's unlock removes it.
 */
const UNLOCK_AFTER_KILL_MS = 5_000;
const SHARED_UNLOCK_EVERY_MS = 60_000;

export class ResticCli implements Repository {
  readonly env: ResticEnv;
  readonly display: string;
  readonly #host: string;
  #version: Promise<string> | undefined;
  #sharedUnlock: Promise<void> | undefined;
  #unlocking: Promise<void> | undefined;
  #sharedUnlockAt = 0;

  constructor(options: ResticCliOptions) {
    this.env = { binary: options.binary, repository: options.repository, password: options.password, credentials: options.credentials };
    this.display = options.display;
    this.#host = options.host;
  }

  async openStdin(options: { parts: readonly string[]; tags: readonly string[] }, signal: AbortSignal): Promise<StdinUpload> {
    const filename = await this.stdinFilename(options.parts, signal);
    signal.throwIfAborted();
    return StdinBackup.start(this.env, {
      filename,
      tags: options.tags,
      host: this.#host,
      afterKill: () => this.#unlockQuietly(),
      removeStaleLocks: () => this.#unlockShared(),
    });
  }

  backupPath(path: string, tags: readonly string[], signal: AbortSignal, onProgress?: (p: Progress) => void) {
    return this.#killSafe(signal, () => backupPath(this.env, path, { tags, host: this.#host, onProgress }, signal));
  }

  async snapshots(signal: AbortSignal) {
    return parseSnapshots(await this.#run(["snapshots", "--json", "--no-lock", "--tag", AGENT_TAG], signal));
  }

  dump(snapshotId: string, path: string, signal: AbortSignal): DumpStream {
    return this.#dump(snapshotId, path, signal, false);
  }

  dumpTree(snapshotId: string, path: string, signal: AbortSignal): TreeDumpStream {
    const archive = this.#dump(snapshotId, path, signal, true);
    const listing = listSnapshot(this.env, snapshotId, signal);
    const repacked = withExactTimes(archive.stdout, nodesBelow(listing.stdout, path));
    const done = (async () => {
      try {
        const [result] = await Promise.all([repacked.done, archive.done, listing.done]);
        return { inexactTimes: result.inexact, firstInexact: result.firstInexact };
      } catch (error) {
        listing.stdout.destroy();
        const [dump] = await Promise.allSettled([archive.done, listing.done]);
        // A broken stream is the effect: restic's own failure, when there is one, is the cause.
        const broken = String((error as { code?: unknown }).code ?? "").startsWith("ERR_STREAM");
        throw broken && dump.status === "rejected" ? dump.reason : error;
      }
    })();
    done.catch(() => undefined);
    return { stdout: repacked.stdout, done };
  }

  #dump(snapshotId: string, path: string, signal: AbortSignal, archive: boolean): DumpStream {
    const stream = dumpFile(this.env, snapshotId, path, signal, archive);
    const done = this.#killSafe(signal, () => stream.done);
    done.catch(() => undefined);
    return { stdout: stream.stdout, done };
  }

  restore(options: RestoreOptions, signal: AbortSignal) {
    return this.#killSafe(signal, () => restoreSnapshot(this.env, options, signal));
  }

  countTree(snapshotId: string, root: string, signal: AbortSignal) {
    return this.#killSafe(signal, () => countSnapshotTree(this.env, snapshotId, root, signal));
  }

  async forget(ids: readonly string[], signal: AbortSignal): Promise<void> {
    await this.#staleLocksGone();
    // Batches keep the command line well below the kernel's limit on a long history.
    for (let i = 0; i < ids.length; i += 200) {
      await this.#run(["forget", "--quiet", ...ids.slice(i, i + 200)], signal);
    }
  }

  async prune(signal: AbortSignal): Promise<void> {
    await this.#staleLocksGone();
    await this.#run(["prune", "--quiet"], signal);
  }

  async check(readDataSubset: string | undefined, signal: AbortSignal): Promise<void> {
    await this.#staleLocksGone();
    await this.#killSafe(signal, () => checkRepository(this.env, readDataSubset, signal));
  }

  async copyFrom(source: Repository, signal: AbortSignal): Promise<void> {
    await this.#run(["copy", "--tag", AGENT_TAG, "--quiet"], signal, this.#fromEnv(source));
  }

  async unlock(signal: AbortSignal): Promise<void> {
    const unlocking = runRestic(this.env, ["unlock", "--quiet"], signal);
    this.#unlocking = unlocking.then(
      () => undefined,
      () => undefined,
    );
    await unlocking;
  }

  /** What takes the exclusive lock waits for a stale-lock removal still running beside it (the runner's). */
  async #staleLocksGone(): Promise<void> {
    await this.#unlocking;
  }

  async exists(signal: AbortSignal): Promise<boolean> {
    try {
      await runRestic(this.env, ["cat", "config", "--no-lock", "--quiet"], signal);
      return true;
    } catch (error) {
      if (error instanceof ResticNoRepositoryError) return false;
      throw error;
    }
  }

  async ensureInitialised(signal: AbortSignal, like?: Repository): Promise<boolean> {
    if (await this.exists(signal)) return false;
    const extra = like ? this.#fromEnv(like) : undefined;
    await runRestic({ ...this.env, extra }, ["init", "--quiet", ...(like ? ["--copy-chunker-params"] : [])], signal);
    return true;
  }

  /** `restic version` → "0.18.0". */
  async version(signal: AbortSignal): Promise<string> {
    const out = await runRestic(this.env, ["version"], signal);
    return /restic (\d+\.\d+\.\d+)/.exec(out)?.[1] ?? out.trim();
  }

  /**
   * The file name a stdin snapshot stores, from its path parts. restic 0.18.0 cannot store a stdin
   * file below a directory (restic#5324, fixed in 0.18.1), so there the parts are joined with "__".
   */
  async stdinFilename(parts: readonly string[], signal: AbortSignal): Promise<string> {
    this.#version ??= this.version(signal).catch((error: unknown) => {
      this.#version = undefined;
      throw error;
    });
    return (await this.#version) === "0.18.0" ? parts.join("__") : parts.join("/");
  }

  #fromEnv(source: Repository): Record<string, string> {
    if (!(source instanceof ResticCli)) throw new BackupError(`cannot copy from ${source.display}: not a restic repository`);
    return { RESTIC_FROM_REPOSITORY: source.env.repository.reveal(), RESTIC_FROM_PASSWORD: source.env.password.reveal() };
  }

  async #run(args: readonly string[], signal: AbortSignal, extra?: Record<string, string>): Promise<string> {
    return this.#killSafe(signal, () => runRestic(extra ? { ...this.env, extra } : this.env, args, signal));
  }

  /** Runs fn; when `signal` killed its restic, removes the lock the killed process may have left. */
  async #killSafe<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (signal.aborted) await this.#unlockQuietly();
      throw error;
    }
  }

  /**
   * An upload met another run's lock: removes the stale locks once for all uploads that meet it at
   * the same time, and at most once a minute, since a live run's lock (a prune, a check) stays
   * whatever we do. Jobs that only add snapshots skip the pre-run unlock and rely on this.
   */
  #unlockShared(): Promise<void> {
    const now = Date.now();
    if (!this.#sharedUnlock || now - this.#sharedUnlockAt > SHARED_UNLOCK_EVERY_MS) {
      this.#sharedUnlockAt = now;
      this.#sharedUnlock = this.unlock(AbortSignal.timeout(UNLOCK_AFTER_KILL_MS * 4)).catch(() => undefined);
    }
    return this.#sharedUnlock;
  }

  async #unlockQuietly(): Promise<void> {
    await this.unlock(AbortSignal.timeout(UNLOCK_AFTER_KILL_MS)).catch(() => undefined);
  }
}
