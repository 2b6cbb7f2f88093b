// The prom-client registry and the per-job series. Names are documented in the README; keep them stable.
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { JobName } from "../core/job.js";
import type { RunResult } from "../core/runner.js";

/** An unlabelled gauge that joins the registry at its first value (prom-client would print 0 before). */
export class LateGauge {
  readonly gauge: Gauge;
  #registry: Registry | undefined;

  constructor(registry: Registry, config: { name: string; help: string }) {
    this.gauge = new Gauge({ ...config, registers: [] });
    this.#registry = registry;
  }

  set(value: number): void {
    this.#registry?.registerMetric(this.gauge);
    this.#registry = undefined;
    this.gauge.set(value);
  }
}

export class Metrics {
  readonly registry = new Registry();

  readonly jobLastRun = new Gauge({
    name: "backup_job_last_run_timestamp_seconds",
    help: "When the job's last run finished, whatever its result (Unix time).",
    labelNames: ["job"],
    registers: [this.registry],
  });
  readonly jobLastSuccess = new Gauge({
    name: "backup_job_last_success_timestamp_seconds",
    help: "When the job last finished successfully (Unix time).",
    labelNames: ["job"],
    registers: [this.registry],
  });
  readonly jobDuration = new Gauge({
    name: "backup_job_duration_seconds",
    help: "How long the job's last run took.",
    labelNames: ["job"],
    registers: [this.registry],
  });
  readonly jobRuns = new Counter({
    name: "backup_job_runs_total",
    help: "Runs of the job by result: success, failure, timeout, aborted.",
    labelNames: ["job", "result"],
    registers: [this.registry],
  });
  readonly jobRunning = new Gauge({
    name: "backup_job_running",
    help: "1 while the job runs.",
    labelNames: ["job"],
    registers: [this.registry],
  });
  readonly jobSkipped = new Counter({
    name: "backup_job_skipped_total",
    help: "Runs not started because the previous run of the same job was still running.",
    labelNames: ["job"],
    registers: [this.registry],
  });
  readonly pingFailures = new Counter({
    name: "backup_healthchecks_ping_failures_total",
    help: "healthchecks pings that failed after every retry.",
    labelNames: ["job", "kind"],
    registers: [this.registry],
  });
  // Restore-verify: the first three names are used by existing alert rules; keep them. They appear
  // only once a verify ran (or its record was read): "never verified" must not read as 0, "failed".
  readonly verifyLast = new LateGauge(this.registry, {
    name: "backup_restore_verify_last_timestamp",
    help: "When the last verify run ended, whatever its result (Unix time).",
  });
  readonly verifySuccess = new LateGauge(this.registry, {
    name: "backup_restore_verify_success",
    help: "1 when the last verify run restored and checked every target, else 0.",
  });
  readonly verifyDuration = new LateGauge(this.registry, {
    name: "backup_restore_verify_duration_seconds",
    help: "How long the last verify run took.",
  });
  readonly verifyTargetSuccess = new Gauge({
    name: "backup_restore_verify_target_success",
    help: '1 when the last verify of this database (database="" for the globals or the whole target) from this repository (local or offsite) passed, else 0.',
    labelNames: ["repository", "kind", "target", "database"],
    registers: [this.registry],
  });
  readonly restoreDuration = new Gauge({
    name: "backup_restore_duration_seconds",
    help: "How long restoring this target's newest backup from this repository took at the last verify: the recovery time a disaster would take.",
    labelNames: ["repository", "kind", "target"],
    registers: [this.registry],
  });
  /** Both verify gauges, as verify's steps set them. */
  readonly verifyTarget = {
    set: (labels: { repository: string; kind: string; target: string; database: string }, value: number) => this.verifyTargetSuccess.set(labels, value),
    restored: (labels: { repository: string; kind: string; target: string }, seconds: number) => this.restoreDuration.set(labels, seconds),
  };
  readonly info = new Gauge({
    name: "backup_agent_info",
    help: "Always 1; labels carry the agent's version.",
    labelNames: ["version"],
    registers: [this.registry],
  });

  constructor(jobs: readonly JobName[], version: string) {
    // The event-loop delay histogram samples every eventLoopMonitoringPrecision ms: at the default
    // (10 ms) an idle daemon woke up 100 times a second only for it.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 250 });
    this.info.set({ version }, 1);
    for (const job of jobs) {
      this.jobRunning.set({ job }, 0);
      for (const result of ["success", "failure", "timeout", "aborted"] satisfies RunResult[]) {
        this.jobRuns.inc({ job, result }, 0);
      }
    }
  }
}
