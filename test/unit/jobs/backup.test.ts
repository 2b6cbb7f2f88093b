// The backup jobs against the memory repository and the fake Docker: what a user would see in the
// repository, the metrics and the error when a dump fails or restic dies mid-stream.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderError } from "../../../src/core/errors.js";
import { backupJob } from "../../../src/jobs/backup.js";
import { postgresJob } from "../../../src/jobs/postgres.js";
import { volumeKind } from "../../../src/targets/volumes/kind.js";
import { container, type ExecCall, type ExecReply, FakeDocker, runContext } from "../../support/fake-docker.js";
import { fakeJobDeps, metricValue } from "../../support/job-deps.js";

const pg = (name: string) => container(name, { labels: { "backup-agent.postgres": "true" }, env: { POSTGRES_USER: "app", POSTGRES_DB: "app" } });

/** A PostgreSQL server in each container: two databases, and pg_dump as `dump` says. */
function postgresServer(dump: (call: ExecCall, database: string) => ExecReply): (call: ExecCall) => ExecReply {
  return (call) => {
    const [tool] = call.cmd;
    const sql = call.cmd.at(-1) ?? "";
    if (tool === "psql" && sql === "CHECKPOINT") return { exitCode: 0 };
    if (tool === "psql" && sql.startsWith("SELECT datname")) return { exitCode: 0, stdout: "app\nshop\n" };
    if (tool === "psql" && sql.startsWith("SELECT rolsuper")) return { exitCode: 0, stdout: "t\n" };
    if (tool === "pg_dumpall") return { exitCode: 0, stdout: `-- roles of ${call.container.service}\n` };
    if (tool === "pg_dump") return dump(call, call.env.PGDATABASE ?? "");
    return { exitCode: 127, stderr: `unexpected command ${call.cmd.join(" ")}` };
  };
}

const dumpOf = (service: string, database: string) => `PGDMP ${service}/${database} `.repeat(2000);

describe("a PostgreSQL dump that fails", () => {
  it("leaves no snapshot of that dump, stores everything else, and fails only its target", async () => {
    const docker = new FakeDocker(
      [pg("good"), pg("bad")],
      postgresServer(({ container: c }, database) =>
        c.service === "bad" && database === "shop"
          ? { exitCode: 1, stdout: dumpOf("bad", "shop").slice(0, 5000), stderr: 'pg_dump: error: connection to server lost' }
          : { exitCode: 0, stdout: dumpOf(c.service, database) },
      ),
    );
    const deps = fakeJobDeps(docker);
    const error = await postgresJob(deps).run(runContext("postgres")).catch((e: unknown) => e);

    const text = renderError(error);
    expect(text).toMatch(/^1 of 2 PostgreSQL target\(s\) failed/);
    expect(text).toContain('postgres target "bad": shop: pg_dump exited 1: pg_dump: error: connection to server lost');
    expect(text).not.toContain('postgres target "good"');
    const stored = deps.repository.stored.map((s) => `${s.tags.target}/${s.tags.kind}/${s.tags.database ?? ""}`).sort();
    expect(stored).toEqual([
      "bad/manifest/",
      "bad/postgres-globals/",
      "bad/postgres/app",
      "good/manifest/",
      "good/postgres-globals/",
      "good/postgres/app",
      "good/postgres/shop",
    ]);
    expect(deps.repository.openUploads).toBe(0);
    const failures = (target: string, database: string) => metricValue(deps.registry, "backup_target_failures_total", { kind: "postgres", target, database });
    expect(await failures("bad", "shop")).toBe(1);
    expect(await failures("bad", "")).toBe(1);
    expect((await failures("good", "")) ?? 0).toBe(0);
    expect((await failures("good", "shop")) ?? 0).toBe(0);
    expect(await metricValue(deps.registry, "backup_target_last_size_bytes", { kind: "postgres", target: "good", database: "shop" })).toBe(
      dumpOf("good", "shop").length,
    );
  });

  it("stops the dump when restic dies mid-stream, keeps no snapshot of it, and names restic's failure", async () => {
    const big = Buffer.alloc(8 << 20, "x");
    const docker = new FakeDocker([pg("db")], postgresServer(() => ({ exitCode: 0, stdout: big })));
    const deps = fakeJobDeps(docker);
    // The globals (a few bytes) fit; every dump is cut after 10 kB, as when the repository goes away.
    deps.repository.dieAfterBytes = 10_000;
    const error = await postgresJob(deps).run(runContext("postgres")).catch((e: unknown) => e);

    const text = renderError(error);
    expect(text).toContain('postgres target "db": app');
    expect(text).toContain('postgres target "db": shop');
    expect(text).toContain("restic backup: failed (exit code 1): Fatal: unable to save snapshot: the repository went away");
    expect(deps.repository.stored.map((s) => s.tags.kind).sort()).toEqual(["manifest", "postgres-globals"]);
    expect(deps.repository.openUploads).toBe(0);
    // The producers were stopped, not left to stream 8 MB each into nothing.
    expect(docker.bytesStreamed).toBeLessThan(2 * big.length);
  });
});

describe("a PostgreSQL target that fails before its first dump", () => {
  it("stores nothing and leaves none of the uploads it opened ahead running", async () => {
    const server = postgresServer(() => ({ exitCode: 0, stdout: "PGDMP" }));
    const docker = new FakeDocker([pg("db")], (call) =>
      (call.cmd.at(-1) ?? "").startsWith("SELECT datname") ? { exitCode: 2, stderr: "psql: error: connection refused" } : server(call),
    );
    const deps = fakeJobDeps(docker);
    const error = await postgresJob(deps).run(runContext("postgres")).catch((e: unknown) => e);

    expect(renderError(error)).toContain("connection refused");
    expect(deps.repository.stored).toEqual([]);
    expect(deps.repository.openUploads).toBe(0);
  });
});

describe("the backup job", () => {
  it("backs up every kind, fails naming each failed and missing target, and still tries the others", async () => {
    const kv = container("kv", { labels: { "backup-agent.exec.command": "redis-cli --rdb -" } });
    const broken = container("broken", { labels: { "backup-agent.exec.command": "  " } });
    const sleepy = container("sleepy", { labels: { "backup-agent.exec.command": "dump" }, running: false, state: "exited" });
    const docker = new FakeDocker([pg("db"), kv, broken, sleepy], (call) =>
      call.container.service === "kv" ? { exitCode: 0, stdout: "REDIS0011" } : postgresServer(() => ({ exitCode: 0, stdout: "PGDMP" }))(call),
    );
    const deps = fakeJobDeps(docker, { expected: ["exec/ghost", "postgres/db"] });
    const error = await backupJob(deps).run(runContext("backup")).catch((e: unknown) => e);

    const text = renderError(error);
    expect(text).toContain("3 of 4 exec target(s) failed");
    expect(text).toContain('exec target "ghost" is expected but no labelled container exists');
    expect(text).toContain('exec target "broken": label backup-agent.exec.command of container shop-broken-1: expected a dump command; got "  "');
    expect(text).toContain('exec target "sleepy": container shop-sleepy-1 is not running (state: exited)');
    expect(text).not.toContain("PostgreSQL target(s) failed");
    expect(deps.repository.stored.filter((s) => s.tags.target === "kv").map((s) => s.tags.kind).sort()).toEqual(["exec", "manifest"]);
    for (const target of ["ghost", "broken", "sleepy"]) {
      expect(await metricValue(deps.registry, "backup_target_failures_total", { kind: "exec", target, database: "" })).toBe(1);
    }
  });

  it("fails naming a missing expected volume, an exec dump that wrote nothing, and a label that would do nothing", async () => {
    const empty = container("empty", { labels: { "backup-agent.exec.command": "true" } });
    const typo = container("typo", { labels: { "backup-agent.postgress": "true" } });
    const docker = new FakeDocker([empty, typo], () => ({ exitCode: 0, stdout: "" }));
    const deps = fakeJobDeps(docker, { expected: ["volume/data"] });
    const root = mkdtempSync(join(tmpdir(), "backup-agent-volumes-"));
    const kinds = [...deps.kinds, volumeKind({ engine: docker, sandbox: docker, helper: async () => undefined, volumes: { root, names: [] }, hookTimeoutMs: 5_000 })];
    const error = await backupJob({ ...deps, kinds }).run(runContext("backup")).catch((e: unknown) => e);

    const text = renderError(error);
    expect(text).toContain('volume "data" is expected but no volume of that name is mounted under ');
    expect(text).toContain('exec target "empty": the dump command exited 0 but wrote nothing to stdout');
    expect(text).toContain('a label would do nothing: container shop-typo-1: label backup-agent.postgress="true": not a label backup-agent knows (did you mean backup-agent.postgres?)');
    expect(deps.repository.stored).toEqual([]);
  });
});
