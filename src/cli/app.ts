// Builds what every command shares from a validated config: logger, metrics, pings, repository, runner.
import { createRequire } from "node:module";
import type { Config } from "../config/load.js";
import { JOB_NAMES } from "../core/job.js";
import { Runner } from "../core/runner.js";
import { DockerodeEngine } from "../docker/dockerode-engine.js";
import { DockerodeSandbox } from "../docker/dockerode-sandbox.js";
import { buildJobs } from "../jobs/registry.js";
import { CoverageMetrics } from "../report/coverage-metrics.js";
import { Healthchecks } from "../report/healthchecks.js";
import { createLogger } from "../report/logger.js";
import { Metrics } from "../report/metrics.js";
import { RepositoryMetrics } from "../report/repository-metrics.js";
import { TargetMetrics } from "../report/target-metrics.js";
import { ResticRepository } from "../restic/repository.js";

export const VERSION: string = (createRequire(import.meta.url)("../../package.json") as { version: string })
  .version;

export function buildApp(config: Config, destination?: NodeJS.WritableStream) {
  const { logger, tails } = createLogger({ ...config.log, destination });
  const metrics = new Metrics(JOB_NAMES, VERSION);
  const healthchecks = new Healthchecks({
    ...config.healthchecks,
    log: logger,
    onGiveUp: (job, kind) => metrics.pingFailures.inc({ job, kind }),
  });
  const repository = new ResticRepository(
    { binary: config.restic.binary, repository: config.restic.repository, password: config.restic.password },
    config.restic.repositoryDisplay,
  );
  const engine = new DockerodeEngine();
  const sandbox = new DockerodeSandbox(engine.docker);
  const targetMetrics = new TargetMetrics(metrics.registry);
  const coverageMetrics = new CoverageMetrics(metrics.registry);
  const repositoryMetrics = new RepositoryMetrics(metrics.registry);
  const jobs = buildJobs({
    repository,
    engine,
    sandbox,
    verifyMetrics: metrics,
    host: config.restic.host,
    metrics: targetMetrics,
    project: config.targets.project,
    expected: config.targets.expected,
    concurrency: config.targets.concurrency,
    checkSubset: config.targets.checkSubset,
    hookTimeoutMs: config.targets.hookTimeoutMs,
    meilisearch: config.meilisearch,
    volumes: config.volumes,
    coverage: coverageMetrics,
    retention: config.retention.local,
    offsite: config.offsite,
    offsitePolicy: config.retention.offsite,
    repositoryMetrics,
  });
  const runner = new Runner({ jobs, jobConfig: config.jobs, log: logger, tails, metrics, healthchecks });
  return {
    config,
    logger,
    metrics,
    targetMetrics,
    coverageMetrics,
    repositoryMetrics,
    healthchecks,
    repository,
    engine,
    sandbox,
    runner,
    jobs,
  };
}

export type App = ReturnType<typeof buildApp>;
