// Locks of a crashed run would block the next prune or check: every run that may take the exclusive
// lock removes the stale ones as it starts (`restic unlock`, never --remove-all: a live run's lock
// stays), beside its first steps (its prune, check and forget wait for it), under a short limit of its
// own, so an unreachable repository costs seconds here, and the run itself then fails naming it.
import type { Logger } from "pino";
import { logFailure } from "../core/errors.js";
import { ResticNoRepositoryError } from "../restic/errors.js";
import type { Repository } from "../restic/repository.js";

export const UNLOCK_LIMIT_MS = 20_000;

export async function removeStaleLocks(repository: Repository, logger: Logger, signal?: AbortSignal): Promise<void> {
  const limit = AbortSignal.timeout(UNLOCK_LIMIT_MS);
  try {
    await repository.unlock(signal ? AbortSignal.any([signal, limit]) : limit);
    logger.debug("stale repository locks removed (if any)");
  } catch (error) {
    if (signal?.aborted) return;
    const why = limit.aborted ? `no answer within ${UNLOCK_LIMIT_MS / 1000}s` : undefined;
    const level = error instanceof ResticNoRepositoryError ? "info" : "warn";
    logFailure(logger, `could not remove stale repository locks${why ? ` (${why})` : ""}`, error, {}, level);
  }
}
