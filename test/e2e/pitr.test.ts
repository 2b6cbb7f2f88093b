// Point-in-time recovery as deployed: PostgreSQL 17 and 15 labelled backup-agent.postgres.pitr=true
// in a Compose project, the agent (uid 10001) run through `docker compose run` as the README says.
// Rows are committed at known times while the wal job archives; `restore postgres … --at T
// --to-container NAME` must give back exactly the rows committed up to T, for several T, one of them
// seconds before a DROP TABLE.
import { chownSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AGENT_UID, agentProject, agentSecret, type ComposeProject, ensureAgentImage } from "./support/compose.js";
import { PG_IMAGES } from "./support/docker.js";
import { psql } from "./support/drill.js";

const work = mkdtempSync(join(tmpdir(), "backup-agent-e2e-pitr-"));
const FILES = ["compose/docker-compose.yml", "test/fixtures/drill/docker-compose.drill.yml", "test/fixtures/pitr/docker-compose.pitr.yml"];
const SERVERS = [
  { service: "db", user: "shop", database: "shop" },
  { service: "db15", user: "legacy", database: "legacy" },
] as const;
let project: ComposeProject;
const recovered: string[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Commits a batch of rows and returns the server's time just after the commit. */
async function commitBatch(s: (typeof SERVERS)[number], batch: number, rows: number): Promise<string> {
  await psql(project, s.service, s.user, s.database, `INSERT INTO ledger (batch, n) SELECT ${batch}, i FROM generate_series(1, ${rows}) i;`);
  return psql(project, s.service, s.user, s.database, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')");
}

async function inRecovered(container: string, s: (typeof SERVERS)[number], sql: string): Promise<string> {
  const out = await execa("docker", ["exec", container, "psql", "-X", "-At", "-U", s.user, "-d", s.database, "-c", sql], { reject: false });
  return out.exitCode === 0 ? out.stdout.trim() : `error: ${out.stderr.trim()}`;
}

beforeAll(async () => {
  await ensureAgentImage();
  const offsite = join(work, "offsite");
  mkdirSync(offsite);
  chownSync(offsite, AGENT_UID, AGENT_UID);
  project = agentProject(work, "pitr", FILES, {
    settings: ["BACKUP_LOG_FORMAT=json", "BACKUP_WAL_MAX_LAG=20s"],
    crontab: "0 3 1 1 * backup\n",
    vars: { POSTGRES15_IMAGE: PG_IMAGES[15], OFFSITE_HOST_DIR: offsite, OFFSITE_PASSWORD_HOST_FILE: agentSecret(join(work, "offsite-password")) },
  });
  await project.compose(["up", "-d", "--no-build", "--wait", "--wait-timeout", "120", "db", "db15"]);
  for (const s of SERVERS) await psql(project, s.service, s.user, s.database, "CREATE TABLE ledger (batch int, n int, at timestamptz DEFAULT clock_timestamp());");
  expect((await project.agent(["run", "check"])).exitCode).toBe(0);
}, 600_000);

afterAll(async () => {
  if (recovered.length) await execa("docker", ["rm", "-f", ...recovered], { reject: false });
  await project?.down();
});

describe("point-in-time recovery", () => {
  it("recovers exactly the rows committed up to each chosen time, also seconds before a DROP TABLE", async () => {
    // Some history before the base backup, then the base backup (and the hourly dumps, as ever).
    for (const s of SERVERS) await commitBatch(s, 0, 100);
    expect((await project.agent(["run", "postgres"])).exitCode).toBe(0);
    const base = await project.agent(["run", "basebackup"]);
    expect(base.exitCode, base.output).toBe(0);
    expect(base.output).toContain("created replication slot backup_agent");
    expect(base.output).toContain("set max_slot_wal_keep_size = '8GB'");

    const times: Record<string, string[]> = { db: [], db15: [] };
    for (let batch = 1; batch <= 3; batch++) {
      for (const s of SERVERS) times[s.service]?.push(await commitBatch(s, batch, 1000 * batch));
      await sleep(1100);
      const wal = await project.agent(["run", "wal"]);
      expect(wal.exitCode, wal.output).toBe(0);
      expect(wal.output).toMatch(/archived the WAL of db up to/);
    }
    // A mistake to recover from, archived as well.
    await sleep(1100);
    const beforeDrop: Record<string, string> = {};
    for (const s of SERVERS) {
      beforeDrop[s.service] = await psql(project, s.service, s.user, s.database, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')");
      await sleep(1100);
      await psql(project, s.service, s.user, s.database, "DROP TABLE ledger;");
    }
    expect((await project.agent(["run", "wal"])).exitCode).toBe(0);

    for (const s of SERVERS) {
      const cases = [
        { at: times[s.service]?.[0] as string, rows: "100|1000" },
        { at: times[s.service]?.[1] as string, rows: "100|1000|2000" },
        { at: beforeDrop[s.service] as string, rows: "100|1000|2000|3000" },
      ];
      for (const [i, c] of cases.entries()) {
        const name = `${project.name}-${s.service}-at-${i}`;
        recovered.push(name);
        const restore = await project.agent(["restore", "postgres", s.service, "--at", c.at, "--to-container", name]);
        expect(restore.exitCode, restore.output).toBe(0);
        expect(restore.output).toContain(`recovered ${s.service} to`);
        const counts = await inRecovered(name, s, "SELECT string_agg(c::text, '|' ORDER BY batch) FROM (SELECT batch, count(*) c FROM ledger GROUP BY batch) x");
        expect(counts, `${s.service} at ${c.at}`).toBe(c.rows);
        // Nothing committed after the time came back.
        expect(await inRecovered(name, s, `SELECT count(*) FROM ledger WHERE at > '${c.at}'`)).toBe("0");
        await execa("docker", ["rm", "-f", name]);
      }
    }
    // From the offsite copy alone, as after the loss of the host: the copies keep the recorded ids.
    const offsite = ["-e", "BACKUP_OFFSITE_REPOSITORY=/offsite/repository", "-e", "BACKUP_OFFSITE_PASSWORD_FILE=/run/secrets/offsite-password"];
    const copy = await project.agent(["run", "offsite"], offsite);
    expect(copy.exitCode, copy.output).toBe(0);
    const fromCopy = `${project.name}-db15-from-offsite`;
    recovered.push(fromCopy);
    const remote = await project.agent(["restore", "postgres", "db15", "--from", "offsite", "--at", times.db15?.[1] as string, "--to-container", fromCopy], offsite);
    expect(remote.exitCode, remote.output).toBe(0);
    expect(await inRecovered(fromCopy, SERVERS[1], "SELECT string_agg(c::text, '|' ORDER BY batch) FROM (SELECT batch, count(*) c FROM ledger GROUP BY batch) x")).toBe("100|1000|2000");

    // A time outside the window is refused, naming it.
    const early = await project.agent(["restore", "postgres", "db", "--at", "2020-01-01T00:00:00Z", "--to-container", `${project.name}-too-early`]);
    expect(early.exitCode).toBe(1);
    expect(early.output).toMatch(/is before the oldest base backup that is consistent by then: the recoverable window of db is from about \d{4}-/);

    // The weekly verify drills it: recovery to the newest archived point, in a throwaway container.
    const verify = await project.agent(["run", "verify"]);
    for (const s of SERVERS) expect(verify.output).toMatch(new RegExp(`"msg":"point-in-time recovery of ${s.service} to [^"]+ reached it"`));
    expect(verify.output).not.toContain("verify of point-in-time recovery failed");
    const status = await project.agent(["status", "--standalone", "--json"]);
    const report = JSON.parse(status.output.slice(0, status.output.lastIndexOf("}") + 1)) as { pitr: { target: string; windowFrom?: string; windowTo?: string; baseBackups: number }[] };
    expect(report.pitr.map((p) => [p.target, p.baseBackups])).toEqual([["db", 1], ["db15", 1]]);
    for (const p of report.pitr) expect(Date.parse(p.windowTo ?? "") - Date.parse(p.windowFrom ?? "")).toBeGreaterThan(5000);

    // Into the live server, confirmed: the dropped table comes back with exactly its rows.
    const db = SERVERS[0];
    const swap = await project.agent(["restore", "postgres", "db", "--at", beforeDrop.db as string, "--yes"]);
    expect(swap.exitCode, swap.output).toBe(0);
    expect(swap.output).toContain(`db answers on the data recovered to ${beforeDrop.db}`);
    expect(swap.output).toContain("stored a new base backup of db");
    expect(await psql(project, "db", db.user, db.database, "SELECT string_agg(c::text, '|' ORDER BY batch) FROM (SELECT batch, count(*) c FROM ledger GROUP BY batch) x")).toBe("100|1000|2000|3000");
    // The recovered server goes on being archived (a new timeline): a time after the swap recovers too.
    const after = await commitBatch(db, 9, 9);
    await sleep(1100);
    const wal = await project.agent(["run", "wal"]);
    expect(wal.exitCode, wal.output).toBe(0);
    const name = `${project.name}-db-after-swap`;
    recovered.push(name);
    const again = await project.agent(["restore", "postgres", "db", "--at", after, "--to-container", name]);
    expect(again.exitCode, again.output).toBe(0);
    expect(await inRecovered(name, db, "SELECT string_agg(c::text, '|' ORDER BY batch) FROM (SELECT batch, count(*) c FROM ledger GROUP BY batch) x")).toBe("100|1000|2000|3000|9");
  });

  it("loses no WAL when the archiving daemon is SIGKILLed and started again, and warns once it is gone for good", async () => {
    const db = SERVERS[0];
    const project_ = project as ComposeProject & { dir: string };
    writeFileSync(join(project_.dir, "crontab"), "*/3 * * * * * wal\n");
    await psql(project, "db", db.user, db.database, "CREATE TABLE outage (i int, at timestamptz DEFAULT clock_timestamp())");
    const base = await project.agent(["run", "basebackup"]);
    expect(base.exitCode, base.output).toBe(0);
    await project.compose(["up", "-d", "--no-build", "backup-agent"]);
    const daemon = (await project.compose(["ps", "-q", "backup-agent"])).stdout.trim();
    const commit = async (i: number) => {
      await psql(project, "db", db.user, db.database, `INSERT INTO outage (i) VALUES (${i})`);
      return psql(project, "db", db.user, db.database, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')");
    };
    let inOutage = "";
    let last = "";
    for (let i = 1; i <= 24; i++) {
      last = await commit(i);
      if (i === 8) await execa("docker", ["kill", "--signal", "KILL", daemon]);
      if (i === 12) {
        // The slot holds the WAL meanwhile: nobody streams it, nothing is recycled past it.
        expect(await psql(project, "db", db.user, db.database, "SELECT active FROM pg_replication_slots WHERE slot_name = 'backup_agent'")).toBe("f");
      }
      if (i === 14) inOutage = last;
      if (i === 16) await project.compose(["up", "-d", "--no-build", "backup-agent"]);
      await sleep(700);
    }
    // Once the restarted daemon has archived past the last commit, a time inside the outage recovers.
    await vi.waitFor(
      async () => {
        const status = await project.agent(["status", "--standalone", "--json"]);
        const report = JSON.parse(status.output.slice(0, status.output.lastIndexOf("}") + 1)) as { pitr: { target: string; windowTo?: string }[] };
        expect(Date.parse(report.pitr.find((p) => p.target === "db")?.windowTo ?? "") > Date.parse(last)).toBe(true);
      },
      { timeout: 60_000, interval: 2000 },
    );
    await project.compose(["stop", "backup-agent"]);
    const name = `${project.name}-db-outage`;
    recovered.push(name);
    const restore = await project.agent(["restore", "postgres", "db", "--at", inOutage, "--to-container", name]);
    expect(restore.exitCode, restore.output).toBe(0);
    expect(await inRecovered(name, db, "SELECT string_agg(i::text, ',' ORDER BY i) FROM outage")).toBe("1,2,3,4,5,6,7,8,9,10,11,12,13,14");

    // Gone for good: the database keeps running, its WAL bounded by max_slot_wal_keep_size, and status says so.
    await sleep(22_000);
    expect(await psql(project, "db", db.user, db.database, "SHOW max_slot_wal_keep_size")).toBe("8GB");
    expect(await commit(99)).toMatch(/^\d{4}-/);
    const status = await project.agent(["status", "--standalone"]);
    expect(status.exitCode).toBeGreaterThanOrEqual(1);
    expect(status.output).toMatch(/WARNING: postgres\/db: the WAL archive is \d+ s behind \(warning after 20 s\)/);
  });
});
