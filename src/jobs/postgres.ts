// The `postgres` job: every PostgreSQL target, nothing else (hourly by default).
import type { Job } from "../core/job.js";
import { backupDatabaseTargets, type DatabaseStepDeps } from "./database-targets.js";

export function postgresJob(deps: DatabaseStepDeps): Job {
  return { name: "postgres", run: (ctx) => backupDatabaseTargets(deps, ctx) };
}
