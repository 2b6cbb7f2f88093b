import { Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { parseCrontab } from "../../../src/config/crontab.js";
import { Secret } from "../../../src/config/secret.js";
import { JOB_NAMES, type Job, type JobName } from "../../../src/core/job.js";
import { Runner } from "../../../src/core/runner.js";
import { createLogger } from "../../../src/report/logger.js";
import { Metrics } from "../../../src/report/metrics.js";
import { runReporter } from "../../../src/report/run-reporter.js";
import { Scheduler } from "../../../src/scheduler/scheduler.js";

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer, _e: BufferEncoding, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

interface Ping {
  job: string;
  kind: string;
  rid: string;
  body: string;
}

function setup(jobs: Job[], timeoutMs = 60_000) {
  const out = new Capture();
  const { logger, tails } = createLogger({ level: "info", format: "json", destination: out });
  const metrics = new Metrics(JOB_NAMES, "test");
  const pings: Ping[] = [];
  const checks = Object.fromEntries(JOB_NAMES.map((j) => [j, new Secret(`https://hc.test/${j}-uuid`)])) as Record<JobName, Secret>;
  const timeoutsMs = Object.fromEntries(JOB_NAMES.map((j) => [j, timeoutMs])) as Record<JobName, number>;
  const healthchecks = { ping: (job: string, _check: unknown, kind: string, rid: string, body = "") => void pings.push({ job, kind, rid, body }) };
  const runner = new Runner({
    jobs: new Map(jobs.map((j) => [j.name, j])),
    timeoutsMs,
    log: logger,
    reporter: runReporter({ metrics, healthchecks, tails, checks }),
  });
  const value = async (name: string, labels: Record<string, string>) =>
    (await metrics.registry.getSingleMetric(name)?.get())?.values.find((v) =>
      Object.entries(labels).every(([k, l]) => v.labels[k] === l),
    )?.value;
  return { runner, metrics, pings, out, logger, value };
}

describe("Runner", () => {
  it("marks the run failed, pings /fail with the log tail and the error, and records metrics", async () => {
    const { runner, pings, value } = setup([
      {
        name: "check",
        async run(ctx) {
          ctx.log.info("step one done");
          throw new Error("restic check: repository damaged");
        },
      },
    ]);
    const outcome = await runner.run("check", new Set(), "cli");
    expect(outcome.result).toBe("failure");
    expect(pings.map((p) => p.kind)).toEqual(["start", "fail"]);
    expect(pings[0]?.rid).toBe(outcome.runId);
    expect(pings[1]?.rid).toBe(outcome.runId);
    expect(pings[1]?.body).toMatch(/step one done[\s\S]*restic check: repository damaged/);
    expect(await value("backup_job_runs_total", { job: "check", result: "failure" })).toBe(1);
    expect(await value("backup_job_last_success_timestamp_seconds", { job: "check" })).toBeUndefined();
    expect(await value("backup_job_running", { job: "check" })).toBe(0);
  });

  it("reports success with the run's own log lines only", async () => {
    const { runner, pings, value } = setup([
      { name: "check", run: async (ctx) => void ctx.log.info("repository fine") },
      { name: "verify", run: async (ctx) => void ctx.log.info("verify line") },
    ]);
    await Promise.all([runner.run("check", new Set(), "cli"), runner.run("verify", new Set(), "cli")]);
    const success = pings.find((p) => p.job === "check" && p.kind === "success");
    expect(success?.body).toContain("repository fine");
    expect(success?.body).not.toContain("verify line");
    expect(await value("backup_job_last_success_timestamp_seconds", { job: "check" })).toBeGreaterThan(0);
  });

  it("keeps the ping body within 10 kB, ending with the newest lines", async () => {
    const { runner, pings } = setup([
      {
        name: "check",
        async run(ctx) {
          for (let i = 0; i < 500; i++) ctx.log.info(`line ${i} ${"x".repeat(40)}`);
        },
      },
    ]);
    await runner.run("check", new Set(), "cli");
    const body = pings.at(-1)?.body ?? "";
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(10_000);
    expect(body).toContain("check succeeded");
    expect(body).not.toContain("line 0 ");
  });

  it("times a run out through its signal", async () => {
    const { runner, value } = setup(
      [
        {
          name: "check",
          run: (ctx) =>
            new Promise((_resolve, reject) =>
              ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)),
            ),
        },
      ],
      200,
    );
    expect((await runner.run("check", new Set(), "cli")).result).toBe("timeout");
    expect(await value("backup_job_runs_total", { job: "check", result: "timeout" })).toBe(1);
  });

  it("never runs the same job twice at once, and counts the skip", async () => {
    let release = () => {};
    const { runner, value } = setup([{ name: "check", run: () => new Promise<void>((r) => (release = r)) }]);
    const first = runner.run("check", new Set(), "schedule");
    expect((await runner.run("check", new Set(), "schedule")).result).toBe("skipped");
    expect(await value("backup_job_skipped_total", { job: "check" })).toBe(1);
    release();
    expect((await first).result).toBe("success");
  });

  it("on shutdown waits for a run within the grace period, then aborts it", async () => {
    const { runner } = setup([
      {
        name: "check",
        run: (ctx) =>
          new Promise((_resolve, reject) =>
            ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)),
          ),
      },
    ]);
    const run = runner.run("check", new Set(), "schedule");
    await runner.shutdown(100);
    expect((await run).result).toBe("aborted");
    expect((await runner.run("check", new Set(), "schedule")).result).toBe("skipped");
  });

  it("keeps secrets out of the logs", async () => {
    const secret = new Secret("hunter2-the-password");
    const { runner, out, pings } = setup([
      {
        name: "check",
        async run(ctx) {
          ctx.log.info(
            { password: "hunter2-the-password", repo: { password: secret }, key: secret },
            "with secrets",
          );
          throw new Error(`failed with ${secret}`);
        },
      },
    ]);
    await runner.run("check", new Set(), "cli");
    expect(out.text).toContain("with secrets");
    expect(out.text).not.toContain("hunter2");
    expect(out.text).not.toContain("uuid");
    expect(pings.map((p) => p.body).join("\n")).not.toContain("hunter2");
  });
});

describe("Scheduler", () => {
  it("keeps running the schedule after a job fails", async () => {
    let calls = 0;
    const { runner, logger, value } = setup([
      {
        name: "check",
        async run() {
          calls++;
          if (calls === 1) throw new Error("first run fails");
        },
      },
    ]);
    const scheduler = new Scheduler(runner, logger);
    scheduler.start(parseCrontab("* * * * * * check", "UTC").entries, "UTC");
    try {
      await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(3), { timeout: 8000, interval: 100 });
    } finally {
      scheduler.stop();
    }
    expect(await value("backup_job_runs_total", { job: "check", result: "failure" })).toBe(1);
    expect(await value("backup_job_runs_total", { job: "check", result: "success" })).toBeGreaterThanOrEqual(
      2,
    );
  });

  it("does not start a tick while the previous run of the job still runs", async () => {
    let concurrent = 0;
    let most = 0;
    let finished = 0;
    const { runner, logger, out } = setup([
      {
        name: "check",
        async run() {
          most = Math.max(most, ++concurrent);
          // Stay busy until the scheduler has tried, and refused, to start this job again.
          const skips = () => out.text.match(/still running/g)?.length ?? 0;
          const before = skips();
          await vi.waitFor(() => expect(skips()).toBeGreaterThanOrEqual(before + 2), {
            timeout: 8000,
            interval: 50,
          });
          concurrent--;
          finished++;
        },
      },
    ]);
    const scheduler = new Scheduler(runner, logger);
    // Two lines for the same job: croner protects each line, the runner protects the job.
    scheduler.start(parseCrontab("* * * * * * check\n*/2 * * * * * check", "UTC").entries, "UTC");
    try {
      await vi.waitFor(() => expect(finished).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 100 });
    } finally {
      scheduler.stop();
    }
    expect(most).toBe(1);
  });
});
