// Which job names have an implementation, built from the shared dependencies.
import type { Job, JobName } from "../core/job.js";
import type { ResticRepository } from "../restic/repository.js";
import { checkJob } from "./check.js";

export interface JobDeps {
  repository: ResticRepository;
}

export function buildJobs(deps: JobDeps): Map<JobName, Job> {
  const jobs = [checkJob(deps.repository)];
  return new Map(jobs.map((job) => [job.name, job]));
}
