// Which job names have an implementation, built from the shared dependencies.
import type { Job, JobName } from "../core/job.js";
import type { ResticRepository } from "../restic/repository.js";
import { backupJob } from "./backup.js";
import { checkJob } from "./check.js";
import type { DatabaseStepDeps } from "./database-targets.js";
import type { MeiliStepDeps } from "./meilisearch-targets.js";
import { postgresJob } from "./postgres.js";

export interface JobDeps extends DatabaseStepDeps, MeiliStepDeps {
  repository: ResticRepository;
  checkSubset: string;
}

export function buildJobs(deps: JobDeps): Map<JobName, Job> {
  const jobs = [checkJob(deps.repository), postgresJob(deps), backupJob(deps)];
  return new Map(jobs.map((job) => [job.name, job]));
}
