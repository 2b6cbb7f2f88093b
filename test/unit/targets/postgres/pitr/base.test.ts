import pino from "pino";
import { describe, expect, it } from "vitest";
import { MemoryRepository } from "../../../../../src/restic/memory-repository.js";
import { KIND } from "../../../../../src/restic/tags.js";
import type { KindRun } from "../../../../../src/targets/kind.js";
import { readManifest } from "../../../../../src/targets/manifest.js";
import { describePostgres } from "../../../../../src/targets/postgres/discover.js";
import { baseBackup } from "../../../../../src/targets/postgres/pitr/base.js";
import { container, type ExecCall, FakeDocker } from "../../../../support/fake-docker.js";

const db = container("db", { labels: { "backup-agent.postgres": "true", "backup-agent.postgres.pitr": "true" }, env: { POSTGRES_USER: "shop" } });

/** A server that answers the agent's queries, and whose pg_basebackup writes `bytes` then exits `exit`. */
function server(exit: number, bytes = 300_000) {
  return (call: ExecCall) => {
    const [cmd] = call.cmd;
    const sql = call.cmd.at(-1) ?? "";
    if (cmd === "pg_basebackup") return { exitCode: exit, stdout: Buffer.alloc(bytes, 7), stderr: exit ? "pg_basebackup: error: connection to server lost" : "" };
    if (sql.includes("pg_replication_slots")) return { exitCode: 0, stdout: "reserved|0\n" };
    if (sql.includes("max_slot_wal_keep_size")) return { exitCode: 0, stdout: "8GB\n" };
    if (sql.includes("pg_walfile_name")) return { exitCode: 0, stdout: "000000010000000000000003|1780000000.5|170002|16777216\n" };
    if (sql.includes("extract(epoch")) return { exitCode: 0, stdout: "1780000010.25\n" };
    return { exitCode: 1, stderr: `unexpected: ${call.cmd.join(" ")}` };
  };
}

function run(repository: MemoryRepository): KindRun {
  return { runId: "r1", signal: new AbortController().signal, log: pino({ level: "silent" }), repository, scope: { project: "shop" } };
}

describe("a base backup", () => {
  it("is stored with a manifest of where its WAL starts and when it is consistent", async () => {
    const repository = new MemoryRepository("memory:local");
    const outcome = await baseBackup(new FakeDocker([db], server(0)), describePostgres(db), run(repository), { maxRetained: "8GB" });
    expect(outcome.failed).toEqual([]);
    const signal = new AbortController().signal;
    const snapshots = await repository.snapshots(signal);
    expect(snapshots.map((s) => s.tags.kind)).toEqual([KIND.postgresBase, KIND.manifest]);
    const found = await readManifest(repository, snapshots, { kind: KIND.postgresBase, target: "db" }, signal);
    expect(found?.manifest.files[0]).toMatchObject({ kind: "postgres-base", size: 300_000, startSegment: "000000010000000000000003", consistentAt: "2026-05-28T20:26:50.250Z", major: 17, segmentBytes: 16777216 });
  });

  it("cut mid-stream leaves no snapshot at all, and fails naming pg_basebackup's error", async () => {
    const repository = new MemoryRepository("memory:local");
    await expect(baseBackup(new FakeDocker([db], server(1)), describePostgres(db), run(repository), { maxRetained: "8GB" })).rejects.toThrow(/pg_basebackup exited 1: pg_basebackup: error: connection to server lost/);
    expect(await repository.snapshots(new AbortController().signal)).toEqual([]);
  });
});
