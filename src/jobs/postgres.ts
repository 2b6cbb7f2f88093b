// The `postgres` job: every PostgreSQL target, nothing else (hourly by default).
import type { Job } from "../core/job.js";
import { backupDatabaseTargets, type DatabaseStepDeps } from "./database-targets.js";
import { type CoverageDeps, scanAndReportCoverage } from "./unprotected-report.js";

/** With `coverage`, unprotected volumes are also reported on every run, not only by `backup`. */
export function postgresJob(deps: DatabaseStepDeps, coverage?: CoverageDeps): Job {
  return {
    name: "postgres",
    async run(ctx) {
      if (coverage) await scanAndReportCoverage(coverage, ctx);
      await backupDatabaseTargets(deps, ctx);
    },
  };
}
