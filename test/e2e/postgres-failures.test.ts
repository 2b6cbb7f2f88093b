// What an operator must notice: a dump cut mid-stream, a stopped or missing target, and no temp files.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AgentProcess, baseEnv, freePort } from "./support/daemon.js";
import { docker, removeTestContainers, startPostgres } from "./support/docker.js";
import { PingRecorder } from "./support/recorder.js";
import { newRepo, snapshots } from "./support/restic.js";

const recorder = new PingRecorder();
let hc = "";
beforeAll(async () => {
  hc = await recorder.start();
});
afterAll(async () => {
  await recorder.stop();
  await removeTestContainers();
});

/**
 * Bytes the agent's own threads wrote to storage (not pipes). Per-thread counters, because the
 * process-wide /proc/<pid>/io also adds in reaped children: restic, whose repository writes are its job.
 */
function storageWrites(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`)
      .map((tid) =>
        Number(/^write_bytes: (\d+)$/m.exec(readFileSync(`/proc/${pid}/task/${tid}/io`, "utf8"))?.[1] ?? 0),
      )
      .reduce((a, b) => a + b, 0);
  } catch {
    return Number.NaN;
  }
}

/** Runs `backup-agent run postgres` and samples the agent's own storage writes until it exits. */
async function runSampled(env: Record<string, string>) {
  const agent = new AgentProcess(["run", "postgres"], baseEnv(env));
  let most = 0;
  const timer = setInterval(() => {
    const w = storageWrites(agent.process.pid as number);
    if (Number.isFinite(w)) most = Math.max(most, w);
  }, 20);
  const result = await agent.process;
  clearInterval(timer);
  return { exitCode: result.exitCode, output: agent.output, writes: most };
}

describe("a PostgreSQL target that fails", () => {
  it("fails loudly for a stopped container and a missing expected target, and still backs up the others", async () => {
    const project = "e2e-missing";
    const good = await startPostgres({ major: 15, project, service: "good" });
    const stopped = await startPostgres({ major: 15, project, service: "sleepy" });
    await docker(["stop", stopped.name]);
    const repo = await newRepo("e2e-missing");

    const agent = new AgentProcess(
      ["run", "postgres"],
      baseEnv({
        ...repo.env,
        BACKUP_COMPOSE_PROJECT: project,
        BACKUP_EXPECTED_TARGETS: "postgres/good,postgres/ghost",
        BACKUP_HC_POSTGRES_URL: `${hc}/missing-uuid`,
      }),
    );
    const result = await agent.process;
    expect(result.exitCode).toBe(1);
    expect(agent.output).toContain(
      `postgres target \\"sleepy\\": container ${stopped.name} is not running (state: exited)`,
    );
    expect(agent.output).toContain(
      `postgres target \\"ghost\\" is expected but no labelled container exists`,
    );
    expect(agent.output).toMatch(/2 of 3 PostgreSQL target\(s\) failed/);

    const stored = await snapshots(repo, "kind=postgres", "target=good");
    expect(stored.map((s) => s.tag.database).sort()).toEqual(["appdb", "postgres"]);
    expect(await snapshots(repo, "target=sleepy")).toEqual([]);
    const fail = recorder.forCheck("missing-uuid").find((p) => p.kind === "fail");
    expect(fail?.body).toContain("sleepy");
    expect(fail?.body).toContain("ghost");
    await docker(["rm", "-f", "-v", good.name, stopped.name]);
  });
});

describe("a large dump", () => {
  const project = "e2e-big";
  let big: Awaited<ReturnType<typeof startPostgres>>;
  let dumpBytes = 0;

  beforeAll(async () => {
    big = await startPostgres({ major: 17, project, service: "bigdb", env: { POSTGRES_DB: "big" } });
    // About 400 MB of rows: long enough to stop the container in the middle of its dump.
    await big.psql(
      "CREATE TABLE blob AS SELECT i AS id, repeat(md5(i::text), 8) AS body FROM generate_series(1, 1500000) i",
      "big",
    );
  });

  it("streams without temp files: the agent's own disk writes do not grow with the dump", async () => {
    const small = await startPostgres({ major: 17, project: "e2e-small", service: "smalldb" });
    const repo = await newRepo("e2e-notemp");
    const smallRun = await runSampled({ ...repo.env, BACKUP_COMPOSE_PROJECT: "e2e-small" });
    const bigRun = await runSampled({ ...repo.env, BACKUP_COMPOSE_PROJECT: project });
    expect(smallRun.exitCode, smallRun.output).toBe(0);
    expect(bigRun.exitCode, bigRun.output).toBe(0);
    dumpBytes = Number(/"bytes":(\d+)[^\n]*stored [^\n]*big\.dump/.exec(bigRun.output)?.[1]);
    expect(dumpBytes).toBeGreaterThan(300_000_000);
    // Everything goes through pipes: what the agent writes to disk stays tiny and does not track the dump.
    expect(bigRun.writes).toBeLessThan(1_000_000);
    expect(Math.abs(bigRun.writes - smallRun.writes)).toBeLessThan(1_000_000);
    await docker(["rm", "-f", "-v", small.name]);
  });

  it("stopping the container mid-stream fails the run, pings /fail, counts it, and leaves no snapshot", async () => {
    const repo = await newRepo("e2e-midstream");
    const work = mkdtempSync(join(tmpdir(), "e2e-midstream-"));
    writeFileSync(join(work, "crontab"), "*/2 * * * * * postgres\n");
    const port = await freePort();
    const agent = new AgentProcess(
      ["daemon"],
      baseEnv({
        ...repo.env,
        BACKUP_CRONTAB: join(work, "crontab"),
        BACKUP_COMPOSE_PROJECT: project,
        BACKUP_HC_POSTGRES_URL: `${hc}/midstream-uuid`,
      }),
      port,
    );
    try {
      // Wait until pg_dump is reading the big table, then stop the container under it.
      await vi.waitFor(
        async () =>
          expect(
            await big.psql(
              "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump' AND datname = 'big'",
            ),
          ).toBe("1"),
        { timeout: 60_000, interval: 50 },
      );
      await docker(["stop", "-t", "5", big.name]);
      await vi.waitFor(
        () => expect(recorder.forCheck("midstream-uuid").some((p) => p.kind === "fail")).toBe(true),
        {
          timeout: 60_000,
          interval: 200,
        },
      );
      const fail = recorder.forCheck("midstream-uuid").find((p) => p.kind === "fail");
      expect(fail?.body).toMatch(/big/);
      expect(
        await agent.metric("backup_target_failures_total", {
          kind: "postgres",
          target: "bigdb",
          database: "big",
        }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        await agent.metric("backup_job_runs_total", { job: "postgres", result: "failure" }),
      ).toBeGreaterThanOrEqual(1);
      expect(await snapshots(repo, "kind=postgres", "database=big")).toEqual([]);
      expect(await snapshots(repo, `run=${fail?.rid}`, "database=big")).toEqual([]);
    } finally {
      await agent.stop();
    }
  });
});
