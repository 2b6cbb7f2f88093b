// Which job names have an implementation, built from the shared dependencies.
import type { Job, JobName } from "../core/job.js";
import type { ContainerControl, Engine, VolumeLister } from "../docker/engine.js";
import type { Sandbox } from "../docker/sandbox.js";
import type { Metrics } from "../report/metrics.js";
import type { RepositoryMetrics } from "../report/repository-metrics.js";
import type { RetentionPolicy } from "../restic/forget.js";
import type { ResticRepository } from "../restic/repository.js";
import { backupJob } from "./backup.js";
import { checkJob } from "./check.js";
import type { DatabaseStepDeps } from "./database-targets.js";
import type { MeiliStepDeps } from "./meilisearch-targets.js";
import { type OffsiteDeps, offsiteJob } from "./offsite.js";
import { postgresJob } from "./postgres.js";
import { verifyJob } from "./verify.js";
import type { VolumeStepDeps } from "./volume-targets.js";

export interface JobDeps extends DatabaseStepDeps, MeiliStepDeps, VolumeStepDeps, OffsiteDeps {
  engine: Engine & VolumeLister & ContainerControl;
  repository: ResticRepository;
  checkSubset: string;
  retention: RetentionPolicy;
  repositoryMetrics: RepositoryMetrics;
  sandbox: Sandbox;
  verifyMetrics: Metrics;
}

export function buildJobs(deps: JobDeps): Map<JobName, Job> {
  const jobs = [
    checkJob(deps.repository),
    postgresJob(deps, deps),
    backupJob(deps),
    offsiteJob(deps),
    verifyJob({ ...deps, metrics: deps.verifyMetrics }),
  ];
  return new Map(jobs.map((job) => [job.name, job]));
}
