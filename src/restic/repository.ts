// The restic repository as the jobs see it. Each method's contract is in its comment.
import type { Logger } from "pino";
import { type ResticEnv, runRestic } from "./command.js";
import { ResticNoRepositoryError } from "./errors.js";

export class ResticRepository {
  constructor(
    readonly env: ResticEnv,
    readonly display: string,
  ) {}

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
  async ensureInitialised(signal: AbortSignal, log: Logger): Promise<boolean> {
    try {
      await runRestic(this.env, ["cat", "config", "--no-lock", "--quiet"], signal);
      return false;
    } catch (error) {
      if (!(error instanceof ResticNoRepositoryError)) throw error;
    }
    log.info({ repository: this.display }, "repository does not exist: initialising it");
    await runRestic(this.env, ["init", "--quiet"], signal);
    return true;
  }

  /** `restic check`, optionally reading a subset of the data ("5%", "1/7", "500M"). */
  async check(signal: AbortSignal, readDataSubset?: string): Promise<void> {
    const args = ["check", "--quiet"];
    if (readDataSubset) args.push(`--read-data-subset=${readDataSubset}`);
    await runRestic(this.env, args, signal);
  }
}
