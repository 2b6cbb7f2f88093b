// Builds what every command shares from a validated config: logger, metrics, pings, repositories,
// the kinds of target, the jobs, the runner and its run history.
import type { Config } from "../config/load.js";
import { JOB_NAMES, type JobName } from "../core/job.js";
import { Runner } from "../core/runner.js";
import { DockerodeEngine } from "../docker/dockerode-engine.js";
import { DockerodeSandbox } from "../docker/dockerode-sandbox.js";
import type { JobDeps } from "../jobs/deps.js";
import { buildJobs } from "../jobs/registry.js";
import type { StatusDeps } from "../jobs/status.js";
import { CoverageMetrics } from "../report/coverage-metrics.js";
import { Healthchecks } from "../report/healthchecks.js";
import { createLogger } from "../report/logger.js";
import { Metrics } from "../report/metrics.js";
import { PitrMetrics } from "../report/pitr-metrics.js";
import { RepositoryMetrics } from "../report/repository-metrics.js";
import { RunHistory } from "../report/run-history.js";
import { runReporter } from "../report/run-reporter.js";
import { TargetMetrics } from "../report/target-metrics.js";
import { ResticCli } from "../restic/cli-repository.js";
import { buildKinds } from "../targets/registry.js";
import { restoreHelper } from "./restore-helper.js";
import { removeStaleLocks } from "./stale-locks.js";
import { VERSION } from "./version.js";

export { VERSION } from "./version.js";

export function buildApp(config: Config, destination?: NodeJS.WritableStream) {
  const { logger, tails } = createLogger({ ...config.log, destination });
  const metrics = new Metrics(JOB_NAMES, VERSION);
  const healthchecks = new Healthchecks({
    ...config.healthchecks,
    log: logger,
    onGiveUp: (job, kind) => metrics.pingFailures.inc({ job, kind }),
  });
  const { binary, host } = config.restic;
  const repository = new ResticCli({ ...config.restic, display: config.restic.repositoryDisplay });
  const offsite = config.offsite
    ? new ResticCli({
        binary,
        host,
        repository: config.offsite.repository,
        password: config.offsite.password,
        display: config.offsite.repositoryDisplay,
        credentials: config.offsite.credentials,
      })
    : undefined;
  const engine = new DockerodeEngine();
  const sandbox = new DockerodeSandbox(engine.docker, engine);
  const kinds = buildKinds({
    engine,
    sandbox,
    hookTimeoutMs: config.targets.hookTimeoutMs,
    walMaxRetained: config.targets.walMaxRetained,
    meilisearch: config.meilisearch,
    volumes: config.volumes,
    helper: () => restoreHelper(engine, config.helperImage),
  });
  const deps: JobDeps = {
    kinds,
    engine,
    sandbox,
    leftoverMaxAgeMs: config.jobs.verify.timeoutMs,
    repository,
    offsite,
    metrics: {
      targets: new TargetMetrics(metrics.registry),
      coverage: new CoverageMetrics(metrics.registry),
      repository: new RepositoryMetrics(metrics.registry),
      pitr: new PitrMetrics(metrics.registry),
      verify: metrics,
    },
    project: config.targets.project,
    expected: config.targets.expected,
    concurrency: config.targets.concurrency,
    checkSubset: config.targets.checkSubset,
    retention: config.retention,
    volumesRoot: config.volumes.root,
    walMaxRetained: config.targets.walMaxRetained,
  };
  const jobs = buildJobs(deps);
  const checks = Object.fromEntries(JOB_NAMES.map((j) => [j, config.jobs[j].healthcheck])) as Record<JobName, (typeof config.jobs)[JobName]["healthcheck"]>;
  const timeoutsMs = Object.fromEntries(JOB_NAMES.map((j) => [j, config.jobs[j].timeoutMs])) as Record<JobName, number>;
  const history = new RunHistory();
  const runner = new Runner({
    jobs,
    timeoutsMs,
    log: logger,
    reporter: runReporter({ metrics, healthchecks, tails, checks, history }),
    prepare: (log, signal) => removeStaleLocks(repository, log, signal),
  });
  const status: StatusDeps = { ...deps, thresholds: config.status, log: logger };
  return { config, logger, metrics, healthchecks, repository, offsite, engine, sandbox, kinds, deps, jobs, runner, history, status };
}

export type App = ReturnType<typeof buildApp>;

/** The settings that would do nothing, each logged once when a run or the daemon starts. */
export function logWarnings(app: Pick<App, "config" | "logger">): void {
  for (const warning of app.config.warnings) app.logger.warn(warning);
}
