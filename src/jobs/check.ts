// The `check` job: initialise the repository when it does not exist, then `restic check`.
import type { Job } from "../core/job.js";
import type { JobDeps } from "./deps.js";
import { checkAndRecord } from "./repository-check.js";

export function checkJob(deps: JobDeps): Job {
  return {
    name: "check",
    async run(ctx) {
      // Only "no repository" (restic's exit code 10) leads to init: a wrong password never does.
      if (await deps.repository.ensureInitialised(ctx.signal)) {
        ctx.log.info({ repository: deps.repository.display }, "repository does not exist: initialising it (done)");
      }
      const failed = await checkAndRecord({ ...deps, metrics: deps.metrics.repository }, undefined, ctx);
      if (failed) throw failed;
    },
  };
}
