// Locks of a crashed run would block the next prune: every process that runs jobs removes the stale
// ones when it starts (`restic unlock`, never --remove-all: a live run's lock stays).
import { ResticNoRepositoryError } from "../restic/errors.js";
import type { App } from "./app.js";

export async function removeStaleLocks(app: Pick<App, "repository" | "logger">): Promise<void> {
  try {
    await app.repository.unlock(AbortSignal.timeout(120_000));
    app.logger.info("stale repository locks removed (if any)");
  } catch (error) {
    const level = error instanceof ResticNoRepositoryError ? "info" : "warn";
    app.logger[level]({ err: error }, "could not remove stale repository locks");
  }
}
