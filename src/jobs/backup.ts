// The `backup` job: every target, then (with --check) a check that reads a subset of the data.
import { AggregateBackupError } from "../core/errors.js";
import type { Job } from "../core/job.js";
import type { ResticRepository } from "../restic/repository.js";
import { backupDatabaseTargets, type DatabaseStepDeps } from "./database-targets.js";
import { backupMeilisearchTargets, type MeiliStepDeps } from "./meilisearch-targets.js";

export function backupJob(
  deps: DatabaseStepDeps & MeiliStepDeps & { repository: ResticRepository; checkSubset: string },
): Job {
  return {
    name: "backup",
    async run(ctx) {
      const failures: Error[] = [];
      try {
        await backupDatabaseTargets(deps, ctx);
      } catch (error) {
        failures.push(error as Error);
      }
      // A failed database step never stops the search indexes, nor the other way round.
      try {
        await backupMeilisearchTargets(deps, ctx);
      } catch (error) {
        failures.push(error as Error);
      }
      if (ctx.flags.has("prune")) {
        ctx.log.warn(
          "--prune: no retention policy exists in this version of backup-agent; nothing was forgotten",
        );
      }
      if (ctx.flags.has("check")) {
        try {
          await deps.repository.check(ctx.signal, deps.checkSubset);
          ctx.log.info({ subset: deps.checkSubset }, "repository check passed");
        } catch (error) {
          failures.push(error as Error);
        }
      }
      if (failures.length === 1) throw failures[0];
      if (failures.length > 1) throw new AggregateBackupError("backup", failures);
    },
  };
}
