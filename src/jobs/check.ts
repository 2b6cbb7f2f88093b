// The `check` job: initialise the repository when it does not exist, then `restic check`.
import { logFailure } from "../core/errors.js";
import type { Job, RunContext } from "../core/job.js";
import type { JobDeps } from "./deps.js";
import { checkAndRecord } from "./repository-check.js";

export function checkJob(deps: JobDeps): Job {
  return {
    name: "check",
    async run(ctx) {
      // Only "no repository" (restic's exit code 10) leads to init: a wrong password never does. A
      // local repository made again after a disaster takes the offsite copy's chunker parameters, so
      // the offsite copies that follow keep deduplicating against the history there.
      if (!(await deps.repository.exists(ctx.signal))) {
        const like = deps.offsite && (await offsiteExists(deps, ctx)) ? deps.offsite : undefined;
        await deps.repository.ensureInitialised(ctx.signal, like);
        ctx.log.info(
          { repository: deps.repository.display },
          like ? "repository does not exist: initialised it with the chunker parameters of the offsite repository" : "repository does not exist: initialised it",
        );
      }
      const failed = await checkAndRecord({ ...deps, metrics: deps.metrics.repository }, undefined, ctx);
      if (failed) throw failed;
    },
  };
}

/** Whether the offsite repository exists; when it cannot be told, the local one is made on its own (logged). */
async function offsiteExists(deps: JobDeps, ctx: RunContext): Promise<boolean> {
  try {
    return (await deps.offsite?.exists(ctx.signal)) ?? false;
  } catch (error) {
    logFailure(ctx.log, "could not open the offsite repository to copy its chunker parameters; the local repository is made with its own", error);
    return false;
  }
}
