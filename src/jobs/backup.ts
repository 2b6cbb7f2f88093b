// The `backup` job: every target, then (with --check) a check that reads a subset of the data.
import type { Job } from "../core/job.js";
import type { ResticRepository } from "../restic/repository.js";
import { backupDatabaseTargets, type DatabaseStepDeps } from "./database-targets.js";

export function backupJob(
  deps: DatabaseStepDeps & { repository: ResticRepository; checkSubset: string },
): Job {
  return {
    name: "backup",
    async run(ctx) {
      let failure: unknown;
      try {
        await backupDatabaseTargets(deps, ctx);
      } catch (error) {
        failure = error;
      }
      if (ctx.flags.has("prune")) {
        ctx.log.warn(
          "--prune: no retention policy exists in this version of backup-agent; nothing was forgotten",
        );
      }
      if (ctx.flags.has("check")) {
        await deps.repository.check(ctx.signal, deps.checkSubset);
        ctx.log.info({ subset: deps.checkSubset }, "repository check passed");
      }
      if (failure) throw failure;
    },
  };
}
