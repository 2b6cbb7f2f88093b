// Which job names have an implementation, built from the shared dependencies.
import type { Job, JobName } from "../core/job.js";
import { backupJob } from "./backup.js";
import { checkJob } from "./check.js";
import type { JobDeps } from "./deps.js";
import { offsiteJob } from "./offsite.js";
import { baseBackupJob, walJob } from "./pitr.js";
import { postgresJob } from "./postgres.js";
import { verifyJob } from "./verify.js";

export function buildJobs(deps: JobDeps): Map<JobName, Job> {
  const jobs = [checkJob(deps), postgresJob(deps), backupJob(deps), offsiteJob(deps), verifyJob(deps), walJob(deps), baseBackupJob(deps)];
  return new Map(jobs.map((job) => [job.name, job]));
}
