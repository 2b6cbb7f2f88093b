// The daemon as a real process with real restic: the schedule, /metrics, healthchecks pings, shutdown.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AgentProcess, baseEnv, freePort } from "./support/daemon.js";
import { PingRecorder } from "./support/recorder.js";

const work = mkdtempSync(join(tmpdir(), "backup-agent-e2e-daemon-"));
const repo = join(work, "repo");
const crontab = join(work, "crontab");
writeFileSync(crontab, "# every two seconds\n*/2 * * * * * check\n");
const SLOW_RESTIC = join(import.meta.dirname, "../fixtures/slow-restic.sh");

const recorder = new PingRecorder();
let hcBase = "";
const agents: AgentProcess[] = [];

async function startAgent(extra: Record<string, string>): Promise<AgentProcess> {
  const port = await freePort();
  const agent = new AgentProcess(
    ["daemon"],
    baseEnv({
      RESTIC_REPOSITORY: repo,
      RESTIC_PASSWORD: "right-password",
      BACKUP_CRONTAB: crontab,
      ...extra,
    }),
    port,
  );
  agents.push(agent);
  await vi.waitFor(async () => expect(await agent.metric("backup_agent_info", {})).toBe(1), {
    timeout: 20_000,
    interval: 200,
  });
  return agent;
}

beforeAll(async () => {
  hcBase = await recorder.start();
});
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.stop();
});
afterAll(async () => {
  await recorder.stop();
});

describe("daemon", () => {
  it("runs check on schedule, initialises the repository, and reports success to /metrics and healthchecks", async () => {
    const agent = await startAgent({ BACKUP_HC_CHECK_URL: `${hcBase}/check-ok-uuid` });
    await vi.waitFor(
      () =>
        expect(
          recorder.forCheck("check-ok-uuid").filter((p) => p.kind === "success").length,
        ).toBeGreaterThanOrEqual(1),
      { timeout: 30_000, interval: 200 },
    );
    const pings = recorder.forCheck("check-ok-uuid");
    const success = pings.find((p) => p.kind === "success");
    const start = pings.find((p) => p.kind === "start" && p.rid === success?.rid);
    expect(start, JSON.stringify(pings)).toBeDefined();
    expect(success?.rid).toMatch(/^[0-9a-f-]{36}$/);
    expect(success?.body).toContain("repository check passed");
    expect(pings.indexOf(start as never)).toBeLessThan(pings.indexOf(success as never));

    const lastSuccess = await agent.metric("backup_job_last_success_timestamp_seconds", { job: "check" });
    expect(lastSuccess).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(
      await agent.metric("backup_job_runs_total", { job: "check", result: "success" }),
    ).toBeGreaterThanOrEqual(1);
    // The repository is real: restic itself can open it with the same password.
    const snapshots = await execa("restic", ["cat", "config"], {
      env: { RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: "right-password" },
    });
    expect(snapshots.exitCode).toBe(0);
    expect(agent.output).toContain("repository does not exist: initialised it");
  });

  it("with a wrong password pings /fail, counts the failure, never re-initialises, and keeps running", async () => {
    const agent = await startAgent({
      RESTIC_PASSWORD: "wrong-password",
      BACKUP_HC_CHECK_URL: `${hcBase}/check-bad-uuid`,
    });
    await vi.waitFor(
      () =>
        expect(
          recorder.forCheck("check-bad-uuid").filter((p) => p.kind === "fail").length,
        ).toBeGreaterThanOrEqual(2),
      { timeout: 30_000, interval: 200 },
    );
    const fail = recorder.forCheck("check-bad-uuid").find((p) => p.kind === "fail");
    expect(fail?.body).toContain("wrong repository password (exit code 12)");
    expect(fail?.body).not.toContain("wrong-password");
    expect(
      await agent.metric("backup_job_runs_total", { job: "check", result: "failure" }),
    ).toBeGreaterThanOrEqual(2);
    expect(agent.running).toBe(true);
    expect((await fetch(`http://127.0.0.1:${agent.port}/healthz`)).status).toBe(200);
    expect(agent.output).not.toContain("initialising");
    expect(agent.output).not.toContain("wrong-password");
  });

  it("on SIGTERM during a run lets it finish within the grace period and exits 0", async () => {
    const agent = await startAgent({
      RESTIC_BINARY: SLOW_RESTIC,
      SLOW_CHECK_SECONDS: "3",
      BACKUP_SHUTDOWN_GRACE: "20s",
    });
    await vi.waitFor(async () => expect(await agent.metric("backup_job_running", { job: "check" })).toBe(1), {
      timeout: 20_000,
      interval: 100,
    });
    const sent = Date.now();
    agent.process.kill("SIGTERM");
    const result = await agent.process;
    expect(result.exitCode).toBe(0);
    expect(Date.now() - sent).toBeLessThan(20_000);
    expect(agent.output).toMatch(/"msg":"check succeeded"/);
  });

  it("on SIGTERM aborts a run that outlives the grace period and still exits 0", async () => {
    const agent = await startAgent({
      RESTIC_BINARY: SLOW_RESTIC,
      SLOW_CHECK_SECONDS: "120",
      BACKUP_SHUTDOWN_GRACE: "2s",
    });
    await vi.waitFor(async () => expect(await agent.metric("backup_job_running", { job: "check" })).toBe(1), {
      timeout: 20_000,
      interval: 100,
    });
    const sent = Date.now();
    agent.process.kill("SIGTERM");
    const result = await agent.process;
    expect(result.exitCode).toBe(0);
    expect(Date.now() - sent).toBeLessThan(15_000);
    expect(agent.output).toContain("grace period over: aborting running jobs");
    expect(agent.output).toMatch(/check aborted/);
  });
});
