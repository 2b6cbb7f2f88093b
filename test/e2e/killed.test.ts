// A backup killed with SIGKILL mid-run (the OOM killer, a host crash): the killed run leaves no
// snapshot, and the next run removes the stale lock it left and succeeds, pruning included. And the
// hourly `postgres` job, which has no pre-run unlock, gets past an exclusive lock a killed check left.
import { execa } from "execa";
import { afterAll, describe, expect, it, vi } from "vitest";
import { AgentProcess, baseEnv, runAgent } from "./support/daemon.js";
import { removeTestContainers, startPostgres } from "./support/docker.js";
import { locks, newRepo, snapshots } from "./support/restic.js";

afterAll(removeTestContainers);

describe("a backup killed mid-run", () => {
  it("leaves no snapshot, and the next run removes its stale lock and succeeds", async () => {
    const project = "e2e-killed";
    const db = await startPostgres({
      major: 17,
      project,
      service: "db",
      labels: { "backup-agent.postgres.databases": "appdb", "backup-agent.postgres.globals": "false" },
    });
    // Large enough that the dump is still streaming when the lock shows up (~200 MB of dump).
    await db.psql(
      "CREATE TABLE events AS SELECT i AS id, md5(i::text) || md5((i * 7)::text) AS payload FROM generate_series(1, 2500000) i",
    );
    const repo = await newRepo("e2e-killed");
    const env = baseEnv({ ...repo.env, BACKUP_COMPOSE_PROJECT: project, BACKUP_LOG_FORMAT: "json" });

    // Its own process group, so SIGKILL takes the agent and its restic children at once, like a crash.
    const killed = execa("node", ["dist/main.js", "run", "postgres"], {
      env,
      extendEnv: false,
      detached: true,
      reject: false,
      all: true,
    });
    let output = "";
    killed.all?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    // Two restic processes hold a lock: the dump's and the manifest's, which is opened ahead.
    await vi.waitFor(
      async () => {
        expect(killed.exitCode).toBeNull();
        expect(await locks(repo.env)).toHaveLength(2);
        expect(output).toContain("CHECKPOINT done");
      },
      { timeout: 60_000, interval: 100 },
    );
    process.kill(-(killed.pid as number), "SIGKILL");
    const result = await killed;
    expect(result.signal).toBe("SIGKILL");
    const runId = /"runId":"([^"]+)"/.exec(output)?.[1];
    expect(runId).toBeDefined();

    expect(await locks(repo.env)).toHaveLength(2);
    expect(await snapshots(repo, `run=${runId}`)).toEqual([]);
    expect(await snapshots(repo)).toEqual([]);

    // The daily job prunes, which needs the exclusive lock the dead run's lock would block.
    const next = new AgentProcess(["run", "backup", "--prune"], {
      ...env,
      BACKUP_KEEP_LAST: "3",
      BACKUP_VOLUMES_ROOT: "/nonexistent-volume-root",
    });
    const after = await next.process;
    expect(after.exitCode, next.output).toBe(0);
    expect(await locks(repo.env)).toEqual([]);
    const stored = await snapshots(repo, "target=db", "database=appdb");
    expect(stored).toHaveLength(1);
    expect(stored[0]?.tag.run).not.toBe(runId);
  });

  it("a postgres run that meets a killed check's exclusive lock removes it and succeeds", async () => {
    const project = "e2e-killed-check";
    await startPostgres({ major: 17, project, service: "db", labels: { "backup-agent.postgres.databases": "appdb" } });
    const repo = await newRepo("e2e-killed-check");
    // Data for restic check --read-data to read while the test kills it.
    await execa("sh", ["-c", "head -c 300000000 /dev/urandom | restic backup --quiet --stdin --stdin-filename filler.bin"], { env: repo.env });
    const check = execa("restic", ["check", "--read-data"], { env: repo.env, detached: true, reject: false });
    await vi.waitFor(async () => expect(await locks(repo.env)).toHaveLength(1), { timeout: 60_000, interval: 50 });
    process.kill(-(check.pid as number), "SIGKILL");
    expect((await check).signal).toBe("SIGKILL");
    expect(await locks(repo.env)).toHaveLength(1);

    const run = await runAgent(["run", "postgres"], baseEnv({ ...repo.env, BACKUP_COMPOSE_PROJECT: project, BACKUP_LOG_FORMAT: "json" }));
    expect(run.exitCode, run.output).toBe(0);
    expect(await locks(repo.env)).toEqual([]);
    expect(await snapshots(repo, "target=db", "database=appdb", `run=${run.runId}`)).toHaveLength(1);
  });
});
