// One code path for every run, scheduled or from the CLI: run id, logs, timeout, metrics, pings.
// The only place a run's error is caught.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { JobConfig } from "../config/load.js";
import type { Healthchecks } from "../report/healthchecks.js";
import type { LogTails } from "../report/logtail.js";
import type { Metrics, RunResult } from "../report/metrics.js";
import { BackupError, describeError } from "./errors.js";
import type { Job, JobFlags, JobName } from "./job.js";

export interface RunOutcome {
  runId: string;
  job: JobName;
  result: RunResult | "skipped";
  durationMs: number;
  error?: unknown;
}

export interface RunnerDeps {
  jobs: ReadonlyMap<JobName, Job>;
  jobConfig: Record<JobName, JobConfig>;
  log: Logger;
  tails: LogTails;
  metrics: Metrics;
  healthchecks: Pick<Healthchecks, "ping">;
  now?: () => number;
}

interface ActiveRun {
  runId: string;
  controller: AbortController;
  done: Promise<RunOutcome>;
}

export class Runner {
  readonly #deps: RunnerDeps;
  readonly #active = new Map<JobName, ActiveRun>();
  #closed = false;

  constructor(deps: RunnerDeps) {
    this.#deps = deps;
  }

  get running(): JobName[] {
    return [...this.#active.keys()];
  }

  /**
   * Runs a job once. Never throws: the outcome says what happened. A job that is still running
   * is not started again (the overlap is logged and counted), and nothing starts after close().
   */
  run(job: JobName, flags: JobFlags, trigger: "schedule" | "cli"): Promise<RunOutcome> {
    const { log, metrics } = this.#deps;
    const active = this.#active.get(job);
    if (active || this.#closed) {
      const reason = this.#closed ? "shutting down" : `run ${active?.runId} is still running`;
      log.warn({ job, trigger }, `not starting ${job}: ${reason}`);
      if (active) metrics.jobSkipped.inc({ job });
      return Promise.resolve({ runId: "", job, result: "skipped", durationMs: 0 });
    }
    const controller = new AbortController();
    const runId = randomUUID();
    const done = this.#execute(job, flags, trigger, runId, controller).finally(() =>
      this.#active.delete(job),
    );
    this.#active.set(job, { runId, controller, done });
    return done;
  }

  async #execute(
    name: JobName,
    flags: JobFlags,
    trigger: string,
    runId: string,
    controller: AbortController,
  ): Promise<RunOutcome> {
    const { jobs, jobConfig, metrics, healthchecks, tails } = this.#deps;
    const now = this.#deps.now ?? Date.now;
    const config = jobConfig[name];
    const log = this.#deps.log.child({ job: name, runId });
    const timeout = AbortSignal.timeout(config.timeoutMs);
    const signal = AbortSignal.any([controller.signal, timeout]);
    const started = now();
    tails.open(runId);
    metrics.jobRunning.set({ job: name }, 1);
    healthchecks.ping(name, config.healthcheck, "start", runId);
    log.info({ trigger, flags: [...flags] }, `${name} started`);

    let result: RunResult = "success";
    let error: unknown;
    try {
      const job = jobs.get(name);
      if (!job) throw new BackupError(`job "${name}" is not available in this version of backup-agent`);
      await job.run({ runId, job: name, flags, signal, log, startedAt: new Date(started) });
      if (signal.aborted) throw signal.reason;
    } catch (caught) {
      error = caught;
      result = timeout.aborted ? "timeout" : controller.signal.aborted ? "aborted" : "failure";
    }
    const durationMs = now() - started;
    const seconds = durationMs / 1000;
    if (result === "success") {
      log.info({ durationSeconds: seconds }, `${name} succeeded`);
    } else {
      const why =
        result === "timeout"
          ? `timed out after ${config.timeoutMs / 1000}s`
          : result === "aborted"
            ? "aborted"
            : "failed";
      log.error({ durationSeconds: seconds, err: error }, `${name} ${why}: ${describeError(error)}`);
    }
    const end = now() / 1000;
    metrics.jobRunning.set({ job: name }, 0);
    metrics.jobDuration.set({ job: name }, seconds);
    metrics.jobLastRun.set({ job: name }, end);
    metrics.jobRuns.inc({ job: name, result });
    if (result === "success") metrics.jobLastSuccess.set({ job: name }, end);
    const body = tails.close(runId);
    healthchecks.ping(name, config.healthcheck, result === "success" ? "success" : "fail", runId, body);
    return { runId, job: name, result, durationMs, error };
  }

  /** Stops new runs; waits up to graceMs for running ones, then aborts them and waits for them to end. */
  async shutdown(graceMs: number): Promise<void> {
    this.#closed = true;
    const all = () => Promise.allSettled([...this.#active.values()].map((r) => r.done));
    if (this.#active.size === 0) return;
    this.#deps.log.info({ running: this.running, graceMs }, "waiting for running jobs to finish");
    const finished = await Promise.race([all().then(() => true), delay(graceMs).then(() => false)]);
    if (finished) return;
    this.#deps.log.warn({ running: this.running }, "grace period over: aborting running jobs");
    for (const run of this.#active.values())
      run.controller.abort(new BackupError("aborted: the agent is shutting down", { isCanceled: true }));
    await Promise.race([all(), delay(15_000)]);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
