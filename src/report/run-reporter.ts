// What a run means outside the agent: the job's metrics, its healthchecks pings (start, then
// success or /fail with the tail of its log), the log tail itself and the run history.
import type { JobName } from "../core/job.js";
import type { RunOutcome, RunReporter, RunResult } from "../core/runner.js";
import { redact } from "../config/redact.js";
import type { Secret } from "../config/secret.js";
import type { Healthchecks } from "./healthchecks.js";
import type { LogTails } from "./logtail.js";
import type { Metrics } from "./metrics.js";
import type { RunHistory } from "./run-history.js";

export function runReporter(deps: {
  metrics: Metrics;
  healthchecks: Pick<Healthchecks, "ping">;
  tails: LogTails;
  checks: Record<JobName, Secret | undefined>;
  /** Where the status page and the terminal read running and recent runs. */
  history?: RunHistory;
  now?: () => number;
}): RunReporter {
  const now = deps.now ?? Date.now;
  return {
    started(job, runId, trigger) {
      deps.tails.open(runId);
      deps.history?.started(job, runId, trigger);
      deps.metrics.jobRunning.set({ job }, 1);
      deps.healthchecks.ping(job, deps.checks[job], "start", runId);
    },
    finished(outcome: RunOutcome & { result: RunResult }) {
      const { job, result } = outcome;
      const end = now() / 1000;
      deps.metrics.jobRunning.set({ job }, 0);
      deps.metrics.jobDuration.set({ job }, outcome.durationMs / 1000);
      deps.metrics.jobLastRun.set({ job }, end);
      deps.metrics.jobRuns.inc({ job, result });
      if (result === "success") deps.metrics.jobLastSuccess.set({ job }, end);
      const body = redact(deps.tails.close(outcome.runId));
      deps.history?.finished(outcome, body);
      deps.healthchecks.ping(job, deps.checks[job], result === "success" ? "success" : "fail", outcome.runId, body);
    },
    progress(runId, p) {
      deps.history?.progress(runId, p);
    },
    skipped(job) {
      deps.metrics.jobSkipped.inc({ job });
    },
  };
}
