// Faults of the database in the middle of its dump: its container stopped, killed or paused. The cut
// dump never becomes a snapshot, the run ends (a paused one by its time limit), no lock is left, and
// a `restic check` right after runs at once.
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AgentProcess, baseEnv } from "./support/daemon.js";
import { docker, type PgContainer, removeTestContainers, startPostgres, uniqueName, waitForProcess } from "./support/docker.js";
import { locks, newRepo, snapshots } from "./support/restic.js";

let pg: PgContainer;
const project = uniqueName("e2e-faults-db");

beforeAll(async () => {
  pg = await startPostgres({ major: 15, project, service: "db", labels: { "backup-agent.postgres.databases": "appdb" } });
  // About 250 MB of dump: long enough to cut it.
  await pg.psql("CREATE TABLE big AS SELECT i AS id, repeat(md5(i::text), 6) AS body FROM generate_series(1, 1200000) i");
});
afterAll(removeTestContainers);

async function ready(): Promise<void> {
  await vi.waitFor(async () => expect(await pg.psql("SELECT 1")).toBe("1"), { timeout: 60_000, interval: 250 });
}

const faults = {
  stopped: { cut: ["stop", "-t", "2"], mend: ["start"] },
  killed: { cut: ["kill"], mend: ["start"] },
  paused: { cut: ["pause"], mend: ["unpause"] },
} as const;

describe.each(Object.keys(faults) as (keyof typeof faults)[])("the database container %s mid-dump", (fault) => {
  it("leaves no snapshot of the cut dump and no lock, and a check right after runs at once", async () => {
    const repo = await newRepo(`e2e-faults-${fault}`);
    // A paused container never answers again: the job's time limit is what ends the run.
    const agent = new AgentProcess(["run", "postgres"], baseEnv({ ...repo.env, BACKUP_COMPOSE_PROJECT: project, BACKUP_POSTGRES_TIMEOUT: "25s" }));
    await waitForProcess(pg.name, "pg_dump");
    await docker([...faults[fault].cut, pg.name]);
    const result = await agent.process;
    await docker([...faults[fault].mend, pg.name]);
    await ready();

    expect(result.exitCode, agent.output).toBe(1);
    expect(agent.output).toContain('postgres target \\"db\\"');
    if (fault === "paused") expect(agent.output).toContain("postgres timed out after 25s");
    expect(await snapshots(repo, "kind=postgres", "database=appdb")).toEqual([]);
    expect(await locks(repo.env)).toEqual([]);
    // No --retry-lock: a lock left behind would make this fail at once with exit code 11.
    const check = await execa("restic", ["check", "--quiet"], { env: repo.env, reject: false });
    expect(check.exitCode, check.stderr).toBe(0);
  });
});
