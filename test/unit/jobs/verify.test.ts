// The verify job against the memory repository and the fake Docker: a backup whose restored rows
// differ from the recorded ones fails naming target, database and table; the record says so.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { renderError } from "../../../src/core/errors.js";
import { verifyJob } from "../../../src/jobs/verify.js";
import { COUNT_ROWS_SQL } from "../../../src/targets/postgres/rowcounts.js";
import { container, type ExecCall, FakeDocker, runContext } from "../../support/fake-docker.js";
import { fakeJobDeps, metricValue } from "../../support/job-deps.js";

const sha = (data: string) => createHash("sha256").update(data).digest("hex");

/** One run of target "db" in the repository: two dumps and the manifest recording their row counts. */
function storeBackup(deps: ReturnType<typeof fakeJobDeps>, tables: Record<string, Record<string, number>>) {
  const time = new Date("2026-05-01T03:00:00Z");
  const files = Object.keys(tables).map((database) => {
    const data = `PGDMP ${database}`;
    const s = deps.repository.add({
      time,
      tags: ["backup-agent", "kind=postgres", "target=db", `database=${database}`, "run=r1"],
      files: { [`/postgres__db__${database}.dump`]: data },
    });
    return { kind: "postgres", database, file: `postgres__db__${database}.dump`, snapshot: s.id, size: data.length, sha256: sha(data), tables: tables[database] };
  });
  deps.repository.add({
    time,
    tags: ["backup-agent", "kind=manifest", "target=db", "run=r1", "for=postgres"],
    files: { "/postgres__db__manifest.json": JSON.stringify({ target: "db", run: "r1", image: "pg:15", files }) },
  });
}

/** A throwaway PostgreSQL that restores anything and counts `restored` rows per database. */
function throwawayServer(restored: Record<string, string[]>) {
  return (call: ExecCall) => {
    const sql = call.cmd.at(-1) ?? "";
    const database = call.cmd[call.cmd.indexOf("-d") + 1] ?? "";
    if (call.cmd[0] === "pg_restore") return { exitCode: call.stdin?.toString().startsWith("PGDMP") ? 0 : 1 };
    if (sql === "SELECT 1") return { exitCode: 0, stdout: "1\n" };
    if (sql.startsWith("CREATE DATABASE")) return { exitCode: 0 };
    if (sql === COUNT_ROWS_SQL) return { exitCode: 0, stdout: (restored[database] ?? []).join("\n") };
    return { exitCode: 127, stderr: `unexpected ${call.cmd.join(" ")}` };
  };
}

describe("verify", () => {
  const source = container("db", { labels: { "backup-agent.postgres": "true" }, image: "pg:15" });

  it("fails naming the target, the database and the table whose restored rows differ, and removes its container", async () => {
    const docker = new FakeDocker([source], throwawayServer({ app: ["public.events|4999"], shop: ["public.orders|12"] }));
    const deps = fakeJobDeps(docker);
    storeBackup(deps, { app: { "public.events": 5000 }, shop: { "public.orders": 12 } });

    const error = await verifyJob(deps).run(runContext("verify")).catch((e: unknown) => e);
    const text = renderError(error);
    expect(text).toContain('postgres target "db": database "app": table public.events has 4999 rows restored but 5000 recorded');
    expect(text).not.toContain('database "shop"');
    expect(docker.calls.filter((c) => c.startsWith("create"))).toEqual([expect.stringMatching(/^create backup-agent-verify-db-[0-9a-f]{6} from pg:15$/)]);
    expect(docker.removed).toEqual(["throwaway-1"]);
    const gauge = (database: string) => metricValue(deps.registry, "backup_restore_verify_target_success", { kind: "postgres", target: "db", database });
    expect(await gauge("app")).toBe(0);
    expect(await gauge("shop")).toBe(1);
    expect(await gauge("")).toBe(0);
    const record = deps.repository.stored.find((s) => s.tags.kind === "verify");
    expect(record?.tags.result).toBe("failed");
  });

  it("passes when every database restores with its recorded rows, and records that", async () => {
    const docker = new FakeDocker([source], throwawayServer({ app: ["public.events|5000"] }));
    const deps = fakeJobDeps(docker);
    storeBackup(deps, { app: { "public.events": 5000 } });
    await verifyJob(deps).run(runContext("verify"));
    expect(await metricValue(deps.registry, "backup_restore_verify_target_success", { kind: "postgres", target: "db", database: "" })).toBe(1);
    expect(deps.repository.stored.find((s) => s.tags.kind === "verify")?.tags.result).toBe("passed");
  });

  it("verifies a copy in another repository (the offsite one), whose snapshots restic copy gave new ids", async () => {
    const docker = new FakeDocker([source], throwawayServer({ app: ["public.events|5000"] }));
    const local = fakeJobDeps(docker);
    storeBackup(local, { app: { "public.events": 5000 } });
    const offsite = fakeJobDeps(docker);
    await offsite.repository.copyFrom(local.repository, AbortSignal.timeout(1000));
    expect(offsite.repository.stored.some((s) => local.repository.stored.some((l) => l.id === s.id))).toBe(false);
    await verifyJob(offsite).run(runContext("verify"));
    expect(offsite.repository.stored.find((s) => s.tags.kind === "verify")?.tags.result).toBe("passed");
  });

  it("fails naming the repository when its snapshots cannot be listed, and still records the check that ran beside", async () => {
    const docker = new FakeDocker([source], throwawayServer({ app: ["public.events|5000"] }));
    const deps = fakeJobDeps(docker);
    storeBackup(deps, { app: { "public.events": 5000 } });
    deps.repository.failures.set("snapshots", new Error("connection reset by peer"));
    const text = renderError(await verifyJob(deps).run(runContext("verify")).catch((e: unknown) => e));
    expect(text).toContain("local repository");
    expect(text).toContain("cannot list snapshots");
    expect(deps.repository.stored.find((s) => s.tags.kind === "check")?.tags.result).toBe("passed");
    expect(await metricValue(deps.registry, "backup_restore_verify_target_success", { kind: "repository", target: "local", database: "" })).toBe(1);
    expect(deps.repository.openUploads).toBe(0);
  });

  it("fails naming the target and database when the stored dump is not the one recorded", async () => {
    const docker = new FakeDocker([source], throwawayServer({ app: ["public.events|5000"] }));
    const deps = fakeJobDeps(docker);
    storeBackup(deps, { app: { "public.events": 5000 } });
    const dump = deps.repository.stored.find((s) => s.tags.kind === "postgres");
    deps.repository.corrupt(dump?.id as string);
    const text = renderError(await verifyJob(deps).run(runContext("verify")).catch((e: unknown) => e));
    expect(text).toMatch(/postgres target "db": database "app": sha256 [0-9a-f]{64} \(9 bytes\) stored, but [0-9a-f]{64} \(9 bytes\) recorded at backup time/);
  });
});

describe("verify of exec dumps", () => {
  const kv = container("kv", { labels: { "backup-agent.exec.command": "redis-cli --rdb -" } });

  it("checks the newest dump against the manifest its backup wrote, and fails naming the target when it differs", async () => {
    const docker = new FakeDocker([kv], () => ({ exitCode: 0, stdout: "REDIS0011 data" }));
    const deps = fakeJobDeps(docker);
    const { backupJob } = await import("../../../src/jobs/backup.js");
    await backupJob(deps).run(runContext("backup"));
    const manifest = deps.repository.stored.find((s) => s.tags.kind === "manifest" && s.tags.target === "kv");
    expect(manifest?.tags.for).toBe("exec");

    await verifyJob(deps).run(runContext("verify"));
    expect(await metricValue(deps.registry, "backup_restore_verify_target_success", { kind: "exec", target: "kv", database: "" })).toBe(1);

    deps.repository.corrupt(deps.repository.stored.find((s) => s.tags.kind === "exec")?.id as string);
    const text = renderError(await verifyJob(deps).run(runContext("verify")).catch((e: unknown) => e));
    expect(text).toMatch(/^exec target "kv": sha256 [0-9a-f]{64} \(14 bytes\) stored, but [0-9a-f]{64} \(14 bytes\) recorded at backup time/);
    expect(await metricValue(deps.registry, "backup_restore_verify_target_success", { kind: "exec", target: "kv", database: "" })).toBe(0);
  });

  it("reads back a dump stored before exec manifests existed, and passes it as readable", async () => {
    const docker = new FakeDocker([kv], () => ({ exitCode: 0 }));
    const deps = fakeJobDeps(docker);
    deps.repository.add({ time: new Date("2026-01-01T00:00:00Z"), tags: ["backup-agent", "kind=exec", "target=kv", "run=old"], files: { "/exec__kv__dump": "old dump" } });
    await verifyJob(deps).run(runContext("verify"));
    expect(deps.repository.calls).toContain(`dump ${deps.repository.stored[0]?.id.slice(0, 8)} /exec__kv__dump`);
  });
});
