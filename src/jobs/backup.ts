// The `backup` job: every kind's targets in registry order, then (with --prune) retention and (with
// --check) a check that reads a subset of the data. Each step runs whatever happened to the others.
import { AggregateBackupError, logFailure } from "../core/errors.js";
import type { Job, RunContext } from "../core/job.js";
import { resolveProject } from "../docker/project.js";
import { backupKind } from "./backup-kind.js";
import { reportCoverage, scanCoverage } from "./coverage.js";
import type { JobDeps } from "./deps.js";
import { checkLabels } from "./labels.js";
import { checkAndRecord } from "./repository-check.js";
import { applyRetention } from "./retention.js";

export function backupJob(deps: JobDeps): Job {
  return {
    name: "backup",
    async run(ctx) {
      const scope = await resolveProject(deps.engine, deps.project);
      await reportCoverageQuietly(deps, ctx, scope);
      const failures: Error[] = [];
      const attempt = async (step: () => Promise<unknown>) => {
        try {
          await step();
        } catch (error) {
          failures.push(error as Error);
        }
      };
      for (const kind of deps.kinds) {
        await attempt(() => backupKind(kind, { ...deps, metrics: deps.metrics.targets }, ctx, scope, { warnWhenNone: false }));
      }
      await attempt(() => checkLabels(deps.kinds, deps.engine, scope));
      if (ctx.flags.has("prune")) {
        const policyVariables = "BACKUP_KEEP_LAST, _HOURLY, _DAILY, _WEEKLY, _MONTHLY, _YEARLY, _WITHIN";
        await attempt(() => applyRetention({ repository: deps.repository, policy: deps.retention.local, policyVariables }, ctx));
      }
      if (ctx.flags.has("check")) {
        const failed = await checkAndRecord({ ...deps, metrics: deps.metrics.repository }, deps.checkSubset, ctx);
        if (failed) failures.push(failed);
      }
      if (failures.length === 1) throw failures[0];
      if (failures.length > 1) throw new AggregateBackupError("backup", failures);
    },
  };
}

/** The unprotected-volume report, on every run that backs something up; a failed scan only warns. */
export async function reportCoverageQuietly(deps: JobDeps, ctx: RunContext, scope: { project: string | undefined }): Promise<void> {
  try {
    const { coverage } = await scanCoverage(deps.kinds, deps.engine, scope, ctx.signal);
    reportCoverage(coverage, deps.metrics.coverage, deps.volumesRoot, ctx);
  } catch (error) {
    logFailure(ctx.log, "could not check the project's volumes for unprotected ones", error, {}, "warn");
  }
}
