// The `check` job: initialise the repository when it does not exist, then `restic check`.
import type { Job } from "../core/job.js";
import type { Repository } from "../restic/repository.js";

export function checkJob(repository: Repository): Job {
  return {
    name: "check",
    async run(ctx) {
      // Only "no repository" (restic's exit code 10) leads to init: a wrong password never does.
      if (await repository.ensureInitialised(ctx.signal)) {
        ctx.log.info({ repository: repository.display }, "repository does not exist: initialising it (done)");
      }
      await repository.check(undefined, ctx.signal);
      ctx.log.info("repository check passed");
    },
  };
}
