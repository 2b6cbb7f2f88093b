// The `backup` job: every target, then (with --check) a check that reads a subset of the data.
import { AggregateBackupError } from "../core/errors.js";
import type { Job } from "../core/job.js";
import type { RepositoryMetrics } from "../report/repository-metrics.js";
import type { RetentionPolicy } from "../restic/forget.js";
import type { ResticRepository } from "../restic/repository.js";
import { backupDatabaseTargets, type DatabaseStepDeps } from "./database-targets.js";
import { backupExecTargets } from "./exec-targets.js";
import { backupMeilisearchTargets, type MeiliStepDeps } from "./meilisearch-targets.js";
import { applyRetention } from "./retention.js";
import { backupVolumeTargets, type VolumeStepDeps } from "./volume-targets.js";

export function backupJob(
  deps: DatabaseStepDeps &
    MeiliStepDeps &
    VolumeStepDeps & {
      repository: ResticRepository;
      checkSubset: string;
      retention: RetentionPolicy;
      repositoryMetrics: RepositoryMetrics;
    },
): Job {
  return {
    name: "backup",
    async run(ctx) {
      const failures: Error[] = [];
      // Each step runs whatever happened to the others (a failed database step never stops the search
      // indexes); volumes last, so their containers are stopped only for as long as that step takes.
      for (const step of [backupDatabaseTargets, backupMeilisearchTargets, backupExecTargets, backupVolumeTargets]) {
        try {
          await step(deps, ctx);
        } catch (error) {
          failures.push(error as Error);
        }
      }
      if (ctx.flags.has("prune")) {
        try {
          await applyRetention(
            {
              env: deps.repository.env,
              display: deps.repository.display,
              policy: deps.retention,
              policyVariables: "BACKUP_KEEP_LAST, _HOURLY, _DAILY, _WEEKLY, _MONTHLY, _YEARLY, _WITHIN",
            },
            ctx,
          );
        } catch (error) {
          failures.push(error as Error);
        }
      }
      if (ctx.flags.has("check")) {
        try {
          await deps.repository.check(ctx.signal, deps.checkSubset);
          deps.repositoryMetrics.checked(true);
          ctx.log.info({ subset: deps.checkSubset }, "repository check passed");
        } catch (error) {
          if (!ctx.signal.aborted) deps.repositoryMetrics.checked(false);
          failures.push(error as Error);
        }
      }
      if (failures.length === 1) throw failures[0];
      if (failures.length > 1) throw new AggregateBackupError("backup", failures);
    },
  };
}
