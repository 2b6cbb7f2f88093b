// Locks of a crashed run would block the next prune: every process that runs jobs removes the stale
// ones when it starts (`restic unlock`, never --remove-all: a live run's lock stays).
import { logFailure } from "../core/errors.js";
import type { Logger } from "pino";
import { ResticNoRepositoryError } from "../restic/errors.js";
import type { Repository } from "../restic/repository.js";

export async function removeStaleLocks(repository: Repository, logger: Logger): Promise<void> {
  try {
    await repository.unlock(AbortSignal.timeout(120_000));
    logger.info("stale repository locks removed (if any)");
  } catch (error) {
    const level = error instanceof ResticNoRepositoryError ? "info" : "warn";
    logFailure(logger, "could not remove stale repository locks", error, {}, level);
  }
}
