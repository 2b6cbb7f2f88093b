// The restic repository as the jobs see it. Each method's contract is in its comment.
import type { Logger } from "pino";
import { type ResticEnv, runRestic } from "./command.js";
import { ResticNoRepositoryError } from "./errors.js";

export class ResticRepository {
  #version: Promise<string> | undefined;

  constructor(
    readonly env: ResticEnv,
    readonly display: string,
  ) {}

  /**
   * The file name a stdin snapshot stores, from its path parts. restic 0.18.0 cannot store a stdin
   * file below a directory (restic#5324, fixed in 0.18.1), so there the parts are joined with "__".
   */
  async stdinFilename(parts: readonly string[], signal: AbortSignal): Promise<string> {
    this.#version ??= this.version(signal);
    return (await this.#version) === "0.18.0" ? parts.join("__") : parts.join("/");
  }

  /** Removes stale locks only (older than 30 minutes, or left by a dead process on this host). */
  async unlock(signal: AbortSignal): Promise<void> {
    await runRestic(this.env, ["unlock", "--quiet"], signal);
  }

  /** `restic version` → "0.18.0". */
  async version(signal: AbortSignal): Promise<string> {
    const out = await runRestic(this.env, ["version"], signal);
    const match = /restic (\d+\.\d+\.\d+)/.exec(out);
    return match?.[1] ?? out.trim();
  }

  /**
   * Makes sure the repository exists: initialises it only when restic says it does not (exit 10).
   * Any other failure (wrong password, unreachable backend, lock) is thrown and never re-inits.
   * Returns true when it created the repository. Idempotent.
   */
  async ensureInitialised(
    signal: AbortSignal,
    log: Logger,
    initArgs: readonly string[] = [],
  ): Promise<boolean> {
    try {
      await runRestic(this.env, ["cat", "config", "--no-lock", "--quiet"], signal);
      return false;
    } catch (error) {
      if (!(error instanceof ResticNoRepositoryError)) throw error;
    }
    log.info({ repository: this.display }, "repository does not exist: initialising it");
    await runRestic(this.env, ["init", "--quiet", ...initArgs], signal);
    return true;
  }

  /** `restic check`, optionally reading a subset of the data ("5%", "1/7", "500M"). */
  /**
   * `restic check` takes the exclusive lock: like every command it waits (RETRY_LOCK) for running
   * backups of the same repository, e.g. the daemon's schedule while `run verify` checks.
   */
  async check(signal: AbortSignal, readDataSubset?: string): Promise<void> {
    const args = ["check", "--quiet"];
    if (readDataSubset) args.push(`--read-data-subset=${readDataSubset}`);
    await runRestic(this.env, args, signal);
  }
}
