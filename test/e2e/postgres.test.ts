// PostgreSQL 15 and 17 on the real engine: dumps stream into restic and restore with every row intact.
import { execa } from "execa";
import { afterAll, describe, expect, it, vi } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentProcess, baseEnv, freePort, runAgent as runAgentProcess } from "./support/daemon.js";
import {
  docker,
  type PgContainer,
  removeTestContainers,
  startPostgres,
  tableDigests,
} from "./support/docker.js";
import { newRepo, snapshots, type TestRepo } from "./support/restic.js";

afterAll(removeTestContainers);

async function runAgent(repo: TestRepo, extra: Record<string, string>, ...args: string[]) {
  return runAgentProcess(args[0] === "plan" ? args : ["run", ...args], baseEnv({ ...repo.env, ...extra }));
}

/** Three application databases, a non-superuser backup role, and 100,000+ rows. */
async function seed(pg: PgContainer): Promise<void> {
  await pg.psql(`
    CREATE ROLE backup_role LOGIN PASSWORD 'backup-role-password';
    GRANT pg_read_all_data TO backup_role;
    GRANT pg_checkpoint TO backup_role;
    CREATE ROLE shop_owner LOGIN;
    CREATE DATABASE shop OWNER shop_owner;
    CREATE DATABASE auth;
  `);
  await pg.psql(`
    CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL, payload jsonb, note text);
    INSERT INTO events SELECT i, '2026-01-01'::timestamptz + i * interval '1 minute', jsonb_build_object('n', i, 'sq', i::bigint * i), md5(i::text)
      FROM generate_series(1, 80000) i;
    CREATE TABLE "Mixed Case" (k text PRIMARY KEY, v numeric);
    INSERT INTO "Mixed Case" VALUES ('a', 1.5), ('b', NULL), ('quote''s', -3);
  `);
  await pg.psql(
    `SET ROLE shop_owner;
     CREATE TABLE orders (id int PRIMARY KEY, customer text, total numeric(10,2), tags text[]);
     INSERT INTO orders SELECT i, 'customer ' || (i % 97), (i * 1.37)::numeric(10,2), ARRAY['x' || (i % 5)] FROM generate_series(1, 25000) i;`,
    "shop",
  );
  await pg.psql(
    `CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE, pw bytea);
     INSERT INTO users (email, pw) SELECT 'user' || i || '@example.com', decode(md5(i::text), 'hex') FROM generate_series(1, 5000) i;`,
    "auth",
  );
}

describe.each([15, 17] as const)("PostgreSQL %i", (major) => {
  it("backs up every database and the globals, and each dump restores with the same rows", async () => {
    const project = `e2e-pg${major}`;
    const pg = await startPostgres({
      major,
      project,
      service: "db",
      env: { BACKUP_ROLE_PASSWORD: "backup-role-password" },
      labels: {
        "backup-agent.postgres.user": "backup_role",
        "backup-agent.postgres.password-env": "BACKUP_ROLE_PASSWORD",
      },
    });
    await seed(pg);
    const repo = await newRepo(`e2e-pg${major}`);

    const plan = await runAgent(repo, { BACKUP_COMPOSE_PROJECT: project }, "plan", "--json");
    expect(plan.exitCode, plan.output).toBe(0);
    const planned = JSON.parse(plan.output).targets;
    expect(planned).toHaveLength(1);
    expect(planned[0].details).toMatchObject({
      user: "backup_role",
      databases: ["appdb", "auth", "postgres", "shop"],
    });
    expect(await snapshots(repo)).toEqual([]);

    const run = await runAgent(repo, { BACKUP_COMPOSE_PROJECT: project }, "postgres");
    expect(run.exitCode, run.output).toBe(0);
    expect(run.output).not.toContain("backup-role-password");
    expect(run.output).not.toContain("app-password");

    const runId = /"runId":"([0-9a-f-]{36})"/.exec(run.output)?.[1] as string;
    const made = await snapshots(repo, `run=${runId}`);
    const dumps = made.filter((s) => s.tag.kind === "postgres");
    expect(dumps.map((s) => s.tag.database).sort()).toEqual(["appdb", "auth", "postgres", "shop"]);
    expect(made.filter((s) => s.tag.kind === "postgres-globals")).toHaveLength(1);
    expect(made.filter((s) => s.tag.kind === "manifest")).toHaveLength(1);
    expect(made).toHaveLength(6);
    for (const s of dumps) expect(s.tag.target).toBe("db");

    // Restore into a fresh container of the same image: globals first, then each dump.
    const fresh = await startPostgres({
      major,
      project: `${project}-restore`,
      service: "fresh",
      labels: { "backup-agent.postgres": "false" },
    });
    const globals = made.find((s) => s.tag.kind === "postgres-globals") as (typeof made)[number];
    const globalsSql = await execa("restic", ["dump", globals.id, globals.paths[0] as string], {
      env: repo.env,
    });
    expect(globalsSql.stdout).toContain("backup_role");
    await fresh.psql(
      globalsSql.stdout.replace(/^CREATE ROLE app;$/m, "").replace(/^ALTER ROLE app .*$/m, ""),
    );

    for (const database of ["appdb", "shop", "auth"]) {
      const snapshot = dumps.find((s) => s.tag.database === database) as (typeof made)[number];
      if (database !== "appdb") await fresh.psql(`CREATE DATABASE ${database}`);
      const restore = execa("restic", ["dump", snapshot.id, snapshot.paths[0] as string], {
        env: repo.env,
      }).pipe("docker", [
        "exec",
        "-i",
        fresh.name,
        "pg_restore",
        "--exit-on-error",
        "-U",
        "app",
        "-d",
        database,
      ]);
      const result = await restore;
      expect(result.exitCode).toBe(0);
      const original = await tableDigests(pg, database);
      expect(Object.keys(original).length).toBeGreaterThan(0);
      expect(await tableDigests(fresh, database)).toEqual(original);
    }
    const rows =
      Number(await pg.psql("SELECT count(*) FROM events")) +
      Number(await pg.psql("SELECT count(*) FROM orders", "shop")) +
      Number(await pg.psql("SELECT count(*) FROM users", "auth"));
    expect(rows).toBeGreaterThanOrEqual(100_000);
    expect(await fresh.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'orders'", "shop")).toBe(
      "shop_owner",
    );
    // A restarted daemon reads freshness from the repository: neither reset nor faked.
    const work = mkdtempSync(join(tmpdir(), "e2e-pg-restart-"));
    writeFileSync(join(work, "crontab"), "0 0 1 1 * check\n");
    const daemon = new AgentProcess(
      ["daemon"],
      baseEnv({ ...repo.env, BACKUP_CRONTAB: join(work, "crontab"), BACKUP_COMPOSE_PROJECT: project }),
      await freePort(),
    );
    try {
      const appdb = dumps.find((s) => s.tag.database === "appdb") as (typeof made)[number];
      const key = { kind: "postgres", target: "db", database: "appdb" };
      await vi.waitFor(
        async () =>
          expect(await daemon.metric("backup_target_last_success_timestamp_seconds", key)).toBeCloseTo(
            Date.parse(appdb.time) / 1000,
            0,
          ),
        { timeout: 30_000, interval: 200 },
      );
      expect(await daemon.metric("backup_target_last_size_bytes", key)).toBeGreaterThan(1_000_000);
      expect(await daemon.metric("backup_target_failures_total", key)).toBe(0);
    } finally {
      await daemon.stop();
    }
    await docker(["rm", "-f", "-v", pg.name, fresh.name]);
  });
});
