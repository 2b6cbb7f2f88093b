// One code path for every run, scheduled or from the CLI: run id, logs, timeout, abort, no overlap.
// The only place a run's error is caught; what a run means for metrics and pings is the reporter's.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { BackupError, logFailure } from "./errors.js";
import { type Job, type JobFlags, type JobName, JOB_SPECS, type RunProgress } from "./job.js";

export type RunResult = "success" | "failure" | "timeout" | "aborted";

export interface RunOutcome {
  runId: string;
  job: JobName;
  result: RunResult | "skipped";
  durationMs: number;
  error?: unknown;
}

/** Told when a run starts, ends or is skipped: metrics, healthchecks pings, log tails, run history. */
export interface RunReporter {
  started(job: JobName, runId: string, trigger: string): void;
  /** Bytes flowing in a running run. */
  progress?(runId: string, p: RunProgress): void;
  finished(outcome: RunOutcome & { result: RunResult }): void;
  skipped(job: JobName): void;
}

export interface RunnerDeps {
  jobs: ReadonlyMap<JobName, Job>;
  timeoutsMs: Record<JobName, number>;
  log: Logger;
  reporter: RunReporter;
  /**
   * Started with every job that is not quiet or append-only, beside it, under the job's own signal
   * (the agent removes stale locks here; what needs the exclusive lock waits for it). The run ends
   * only after it. Never throws.
   */
  prepare?: (log: Logger, signal: AbortSignal) => Promise<void>;
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
    const active = this.#active.get(job);
    if (active || this.#closed) {
      const reason = this.#closed ? "shutting down" : `run ${active?.runId} is still running`;
      this.#deps.log.warn({ job, trigger }, `not starting ${job}: ${reason}`);
      if (active) this.#deps.reporter.skipped(job);
      return Promise.resolve({ runId: "", job, result: "skipped", durationMs: 0 });
    }
    const controller = new AbortController();
    const runId = randomUUID();
    const done = this.#execute(job, flags, trigger, runId, controller).finally(() => this.#active.delete(job));
    this.#active.set(job, { runId, controller, done });
    return done;
  }

  async #execute(name: JobName, flags: JobFlags, trigger: string, runId: string, controller: AbortController): Promise<RunOutcome> {
    const { jobs, reporter } = this.#deps;
    const now = this.#deps.now ?? Date.now;
    const timeoutMs = this.#deps.timeoutsMs[name];
    const log = this.#deps.log.child({ job: name, runId });
    // A timer, not AbortSignal.timeout(): Node 20 may collect an unreferenced timeout signal inside
    // AbortSignal.any() before it fires.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new BackupError(`${name} timed out after ${timeoutMs / 1000}s`, { timedOut: true })), timeoutMs);
    const signal = AbortSignal.any([controller.signal, deadline.signal]);
    const started = now();
    reporter.started(name, runId, trigger);
    const quiet = JOB_SPECS[name].quiet === true;
    log[quiet ? "debug" : "info"]({ trigger, flags: [...flags] }, `${name} started`);
    let result: RunResult = "success";
    let error: unknown;
    let prepared: Promise<void> | undefined;
    try {
      const job = jobs.get(name);
      if (!job) throw new BackupError(`job "${name}" is not available in this version of backup-agent`);
      if (!quiet && !JOB_SPECS[name].appendOnly) prepared = this.#deps.prepare?.(log, signal);
      const progress = (p: RunProgress) => reporter.progress?.(runId, p);
      await job.run({ runId, job: name, flags, signal, log, startedAt: new Date(started), progress });
      if (signal.aborted) throw signal.reason;
    } catch (caught) {
      error = caught;
      result = deadline.signal.aborted ? "timeout" : controller.signal.aborted ? "aborted" : "failure";
    } finally {
      await prepared;
      clearTimeout(timer);
    }
    const durationMs = now() - started;
    if (result === "success") {
      log[quiet ? "debug" : "info"]({ durationSeconds: durationMs / 1000 }, `${name} succeeded`);
    } else {
      const why = result === "timeout" ? `timed out after ${timeoutMs / 1000}s` : result === "aborted" ? "aborted" : "failed";
      logFailure(log, `${name} ${why}`, error, { durationSeconds: durationMs / 1000 });
    }
    const outcome = { runId, job: name, result, durationMs, error };
    reporter.finished(outcome);
    return outcome;
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
    for (const run of this.#active.values()) run.controller.abort(new BackupError("aborted: the agent is shutting down", { isCanceled: true }));
    await Promise.race([all(), delay(15_000)]);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
