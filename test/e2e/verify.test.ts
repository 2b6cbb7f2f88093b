// Restore-verify and restore on the real engine: good backups pass in a container of the source's own
// major, bad ones fail naming the target, nothing throwaway is left behind, and restore round-trips.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AgentProcess, baseEnv, freePort, runAgent as runAgentProcess } from "./support/daemon.js";
import {
  docker,
  type PgContainer,
  removeTestContainers,
  startPostgres,
  tableDigests,
} from "./support/docker.js";
import { PingRecorder } from "./support/recorder.js";
import { newRepo, snapshots, type TestRepo } from "./support/restic.js";

const recorder = new PingRecorder();
let hcBase = "";
beforeAll(async () => {
  hcBase = await recorder.start();
});
afterAll(async () => {
  await recorder.stop();
  await removeTestContainers();
});

async function runAgent(repo: TestRepo, project: string, ...args: string[]) {
  const env = {
    ...repo.env,
    BACKUP_COMPOSE_PROJECT: project,
    BACKUP_HC_VERIFY_URL: `${hcBase}/verify-${project}`,
  };
  return runAgentProcess(args, baseEnv(env));
}

/** Throwaway containers of one verify run still present (running or not). */
async function throwawaysOf(runId: string): Promise<string> {
  return docker([
    "ps",
    "-a",
    "-q",
    "--filter",
    "label=backup-agent.throwaway=true",
    "--filter",
    `label=backup-agent.verify.run=${runId}`,
  ]);
}

async function seed(pg: PgContainer): Promise<void> {
  await pg.psql(`
    CREATE DATABASE shop;
    CREATE TABLE events (id bigint PRIMARY KEY, note text);
    INSERT INTO events SELECT i, md5(i::text) FROM generate_series(1, 5000) i;
    CREATE SCHEMA "Odd Schema";
    CREATE TABLE "Odd Schema"."Mixed Case" (k text PRIMARY KEY);
    INSERT INTO "Odd Schema"."Mixed Case" VALUES ('a'), ('b');
  `);
  await pg.psql(
    "CREATE TABLE orders (id int PRIMARY KEY, total numeric); INSERT INTO orders SELECT i, i * 1.5 FROM generate_series(1, 1200) i;",
    "shop",
  );
}

/** Stores `bytes` as a new stdin snapshot, newer than everything before it; returns its id. */
async function storeDoctored(
  repo: TestRepo,
  filename: string,
  tags: string[],
  bytes: Buffer | string,
  minutesAhead: number,
): Promise<string> {
  const time = new Date(Date.now() + minutesAhead * 60_000).toISOString().slice(0, 19).replace("T", " ");
  const { stdout } = await execa(
    "restic",
    ["backup", "--json", "--stdin", "--stdin-filename", filename, "--tag", tags.join(","), "--time", time],
    { env: repo.env, input: bytes },
  );
  const summary = stdout
    .split("\n")
    .map((l) => JSON.parse(l) as { message_type: string; snapshot_id?: string })
    .find((m) => m.message_type === "summary");
  return summary?.snapshot_id as string;
}

interface ManifestJson {
  target: string;
  run: string;
  files: {
    kind: string;
    database?: string;
    snapshot: string;
    size: number;
    sha256: string;
    tables?: Record<string, number>;
  }[];
}

async function newestManifest(
  repo: TestRepo,
  target: string,
): Promise<{ manifest: ManifestJson; path: string }> {
  const list = await snapshots(repo, "kind=manifest", `target=${target}`);
  const newest = list.at(-1) as (typeof list)[number];
  const path = newest.paths[0] as string;
  const { stdout } = await execa("restic", ["dump", newest.id, path], { env: repo.env });
  return { manifest: JSON.parse(stdout) as ManifestJson, path };
}

describe("verify", () => {
  it("verifies a PostgreSQL 15 target in a 15 container and a 17 target in a 17 container", async () => {
    const project = `e2e-verify-good-${randomBytes(2).toString("hex")}`;
    const pg15 = await startPostgres({ major: 15, project, service: "db15" });
    const pg17 = await startPostgres({ major: 17, project, service: "db17" });
    await Promise.all([seed(pg15), seed(pg17)]);
    const repo = await newRepo(project);

    const backup = await runAgent(repo, project, "run", "postgres");
    expect(backup.exitCode, backup.output).toBe(0);
    const { manifest } = await newestManifest(repo, "db15");
    expect(manifest.files.find((f) => f.database === "appdb")?.tables).toEqual({
      "public.events": 5000,
      '"Odd Schema"."Mixed Case"': 2,
    });
    expect(manifest.files.find((f) => f.database === "shop")?.tables).toEqual({ "public.orders": 1200 });

    const verify = await runAgent(repo, project, "run", "verify");
    expect(verify.exitCode, verify.output).toBe(0);
    const started = verify.lines.filter((l) => l.msg.startsWith("throwaway container") && l.image);
    expect(Object.fromEntries(started.map((l) => [l.target, l.image]))).toEqual({
      db15: pg15.image,
      db17: pg17.image,
    });
    for (const database of ["appdb", "shop", "postgres"]) {
      expect(verify.lines.filter((l) => l.msg === `verified ${database}`)).toHaveLength(2);
    }
    expect(verify.lines.filter((l) => l.msg === "verified globals")).toHaveLength(2);
    expect(await throwawaysOf(verify.runId)).toBe("");
    await docker(["rm", "-f", "-v", pg15.name, pg17.name]);
  });

  describe("with a bad backup", () => {
    const project = `e2e-verify-bad-${randomBytes(2).toString("hex")}`;
    let repo: TestRepo;
    let pg: PgContainer;
    let manifest: ManifestJson;
    let manifestPath: string;
    let step = 0;

    /** A manifest snapshot newer than the others, so verify takes it. */
    async function storeManifest(doctored: ManifestJson): Promise<void> {
      step += 1;
      const tags = ["backup-agent", "kind=manifest", "target=db", `run=doctored-${step}`];
      await storeDoctored(repo, manifestPath.replace(/^\//, ""), tags, JSON.stringify(doctored), step);
    }

    async function expectVerifyFails(...needles: string[]): Promise<void> {
      const verify = await runAgent(repo, project, "run", "verify");
      expect(verify.exitCode, verify.output).toBe(1);
      const failed = verify.lines.find((l) => l.msg.startsWith("verify failed"))?.msg ?? "";
      expect(failed).toContain('postgres target "db"');
      for (const needle of needles) expect(failed).toContain(needle);
      expect(await throwawaysOf(verify.runId)).toBe("");
      // The healthchecks /fail body names the target and why.
      await vi.waitFor(() => {
        const fail = recorder
          .forCheck(`verify-${project}`)
          .find((p) => p.kind === "fail" && p.rid === verify.runId);
        expect(fail?.body).toContain('postgres target "db"');
        for (const needle of needles) expect(fail?.body).toContain(needle);
      });
    }

    it("fails naming the target when the stored dump's bytes differ from the recorded checksum", async () => {
      pg = await startPostgres({ major: 15, project, service: "db" });
      await seed(pg);
      repo = await newRepo(project);
      const backup = await runAgent(repo, project, "run", "postgres");
      expect(backup.exitCode, backup.output).toBe(0);
      ({ manifest, path: manifestPath } = await newestManifest(repo, "db"));

      const wrong = "0".repeat(64);
      const doctored = structuredClone(manifest);
      const entry = doctored.files.find((f) => f.database === "shop") as ManifestJson["files"][number];
      const stored = entry.sha256;
      entry.sha256 = wrong;
      await storeManifest(doctored);
      await expectVerifyFails('database "shop"', `sha256 ${stored}`, `but ${wrong}`);
    });

    it("fails naming the target, database and table when restored row counts differ from the recorded ones", async () => {
      const doctored = structuredClone(manifest);
      const entry = doctored.files.find((f) => f.database === "appdb") as ManifestJson["files"][number];
      (entry.tables as Record<string, number>)["public.events"] = 4999;
      await storeManifest(doctored);
      await expectVerifyFails(
        'database "appdb"',
        "table public.events has 5000 rows restored but 4999 recorded",
      );
    });

    it("fails naming the target when the dump cannot be restored", async () => {
      const garbage = Buffer.concat([Buffer.from("PGDMP"), randomBytes(4096)]);
      const dumps = await snapshots(repo, "kind=postgres", "target=db", "database=shop");
      const original = dumps.at(-1) as (typeof dumps)[number];
      const tags = ["backup-agent", "kind=postgres", "target=db", "database=shop", "run=doctored-garbage"];
      const id = await storeDoctored(
        repo,
        (original.paths[0] as string).replace(/^\//, ""),
        tags,
        garbage,
        30,
      );
      const doctored = structuredClone(manifest);
      const entry = doctored.files.find((f) => f.database === "shop") as ManifestJson["files"][number];
      Object.assign(entry, {
        snapshot: id,
        size: garbage.length,
        sha256: createHash("sha256").update(garbage).digest("hex"),
      });
      await storeManifest(doctored);
      await expectVerifyFails('database "shop"', "does not restore", "pg_restore exited 1");
    });

    it("passes again on a fresh backup of the same target", async () => {
      // The doctored snapshots are dated in the future: the fresh manifest is stored again, newer still.
      const backup = await runAgent(repo, project, "run", "postgres");
      expect(backup.exitCode, backup.output).toBe(0);
      const [made] = await snapshots(repo, "kind=manifest", `run=${backup.runId}`);
      const { stdout } = await execa("restic", ["dump", made?.id as string, made?.paths[0] as string], {
        env: repo.env,
      });
      await storeManifest(JSON.parse(stdout) as ManifestJson);
      const verify = await runAgent(repo, project, "run", "verify");
      expect(verify.exitCode, verify.output).toBe(0);
      expect(await throwawaysOf(verify.runId)).toBe("");
    });
  });
});

describe("restore postgres", () => {
  it("restores a live container whose data changed after the backup to exactly the snapshot's rows", async () => {
    const project = `e2e-verify-restore-${randomBytes(2).toString("hex")}`;
    const pg = await startPostgres({ major: 17, project, service: "db" });
    await seed(pg);
    const repo = await newRepo(project);
    const backup = await runAgent(repo, project, "run", "postgres");
    expect(backup.exitCode, backup.output).toBe(0);
    const before = { appdb: await tableDigests(pg, "appdb"), shop: await tableDigests(pg, "shop") };

    await pg.psql("DELETE FROM events WHERE id % 3 = 0; UPDATE events SET note = 'changed' WHERE id < 100;");
    await pg.psql(
      "INSERT INTO orders SELECT i, 0 FROM generate_series(5000, 5100) i; TRUNCATE orders;",
      "shop",
    );
    expect(await tableDigests(pg, "appdb")).not.toEqual(before.appdb);

    const refused = await runAgent(repo, project, "restore", "postgres", "db");
    expect(refused.exitCode, refused.output).toBe(64);
    expect(refused.output).toContain("pass --yes");

    const restore = await runAgent(repo, project, "restore", "postgres", "db", "--yes");
    expect(restore.exitCode, restore.output).toBe(0);
    expect(restore.output).toContain("restored appdb");
    expect(restore.output).toContain("restored shop");
    expect(await tableDigests(pg, "appdb")).toEqual(before.appdb);
    expect(await tableDigests(pg, "shop")).toEqual(before.shop);

    const listed = await runAgent(repo, project, "snapshots", "--target", "db", "--json");
    expect(listed.exitCode, listed.output).toBe(0);
    const rows = JSON.parse(listed.output) as { kind: string; database: string }[];
    expect(
      rows
        .filter((r) => r.kind === "postgres")
        .map((r) => r.database)
        .sort(),
    ).toEqual(["appdb", "postgres", "shop"]);
    await docker(["rm", "-f", "-v", pg.name]);
  });
});

describe("restore postgres --at", () => {
  it("restores every database to the newest backup at or before the time, not a later one", async () => {
    const project = `e2e-verify-at-${randomBytes(2).toString("hex")}`;
    const pg = await startPostgres({ major: 15, project, service: "db" });
    await seed(pg);
    const repo = await newRepo(project);
    expect((await runAgent(repo, project, "run", "postgres")).exitCode).toBe(0);
    const first = { appdb: await tableDigests(pg, "appdb"), shop: await tableDigests(pg, "shop") };
    const between = new Date().toISOString();
    // A clear gap between the time and the second run's snapshots.
    await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(Date.parse(between) + 1000), {
      timeout: 5_000,
      interval: 100,
    });
    await pg.psql("DELETE FROM events WHERE id > 4000;");
    await pg.psql("UPDATE orders SET total = 0;", "shop");
    expect((await runAgent(repo, project, "run", "postgres")).exitCode).toBe(0);
    await pg.psql("TRUNCATE events;");

    const restore = await runAgent(repo, project, "restore", "postgres", "db", "--at", between, "--yes");
    expect(restore.exitCode, restore.output).toBe(0);
    expect(await tableDigests(pg, "appdb")).toEqual(first.appdb);
    expect(await tableDigests(pg, "shop")).toEqual(first.shop);

    const tooEarly = await runAgent(
      repo,
      project,
      "restore",
      "postgres",
      "db",
      "--at",
      "2000-01-01T00:00:00Z",
      "--yes",
    );
    expect(tooEarly.exitCode).toBe(1);
    expect(tooEarly.output).toContain("no backup of");
    await docker(["rm", "-f", "-v", pg.name]);
  });
});

describe("crash cleanup", () => {
  it("removes the throwaway container of a verify killed midway when the daemon starts, then verifies on schedule", async () => {
    const project = `e2e-verify-crash-${randomBytes(2).toString("hex")}`;
    const pg = await startPostgres({ major: 15, project, service: "db" });
    await seed(pg);
    const repo = await newRepo(project);
    const backup = await runAgent(repo, project, "run", "postgres");
    expect(backup.exitCode, backup.output).toBe(0);

    const env = baseEnv({ ...repo.env, BACKUP_COMPOSE_PROJECT: project });
    const killed = new AgentProcess(["run", "verify"], env);
    const runId = await vi.waitFor(
      () => {
        const started = /"runId":"([0-9a-f-]{36})".*"msg":"throwaway container [^"]* started/.exec(
          killed.output,
        );
        expect(started).not.toBeNull();
        return started?.[1] as string;
      },
      { timeout: 60_000, interval: 100 },
    );
    await killed.stop();
    expect(await throwawaysOf(runId)).not.toBe("");

    const work = mkdtempSync(join(tmpdir(), `${project}-`));
    writeFileSync(join(work, "crontab"), "*/15 * * * * * verify\n");
    const daemon = new AgentProcess(
      ["daemon"],
      { ...env, BACKUP_CRONTAB: join(work, "crontab") },
      await freePort(),
    );
    try {
      await vi.waitFor(
        () => expect(daemon.output).toContain("removed throwaway containers left by a crashed verify"),
        {
          timeout: 60_000,
          interval: 200,
        },
      );
      expect(await throwawaysOf(runId)).toBe("");
      await vi.waitFor(async () => expect(await daemon.metric("backup_restore_verify_success")).toBe(1), {
        timeout: 120_000,
        interval: 500,
      });
      const target = { kind: "postgres", target: "db" };
      expect(
        await daemon.metric("backup_restore_verify_target_success", { ...target, database: "appdb" }),
      ).toBe(1);
      expect(await daemon.metric("backup_restore_verify_target_success", { ...target, database: "" })).toBe(
        1,
      );
      expect(await daemon.metric("backup_restore_verify_duration_seconds")).toBeGreaterThan(0);
      expect(await daemon.metric("backup_restore_verify_last_timestamp")).toBeGreaterThan(
        Date.now() / 1000 - 300,
      );
    } finally {
      daemon.process.kill("SIGTERM");
      await daemon.process;
    }
    const verifyRuns = [...daemon.output.matchAll(/"runId":"([0-9a-f-]{36})","trigger":"schedule"/g)].map(
      (m) => m[1],
    );
    for (const id of verifyRuns) expect(await throwawaysOf(id as string)).toBe("");
    await docker(["rm", "-f", "-v", pg.name]);
  });
});
