// The `check` job: initialise the repository when it does not exist, then `restic check`.
import type { Job } from "../core/job.js";
import type { ResticRepository } from "../restic/repository.js";

export function checkJob(repository: ResticRepository): Job {
  return {
    name: "check",
    async run(ctx) {
      const created = await repository.ensureInitialised(ctx.signal, ctx.log);
      if (created) ctx.log.info("repository initialised");
      await repository.check(ctx.signal);
      ctx.log.info("repository check passed");
    },
  };
}
