// Faults of the repository, as a user meets them: its server goes down in the middle of a run, and
// one of its packs is damaged. Every run ends within its limit, names what is wrong and leaves no lock.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AgentProcess, baseEnv, runAgent } from "./support/daemon.js";
import { type PgContainer, removeTestContainers, startPostgres, uniqueName, waitForProcess } from "./support/docker.js";
import { PingRecorder } from "./support/recorder.js";
import { RestServer } from "./support/rest-server.js";
import { locks, newRepo } from "./support/restic.js";

const recorder = new PingRecorder();
let hc = "";
let pg: PgContainer;
const project = uniqueName("e2e-faults-repo");

beforeAll(async () => {
  hc = await recorder.start();
  pg = await startPostgres({ major: 17, project, service: "db", labels: { "backup-agent.postgres.globals": "false" } });
  // About 250 MB of dump: long enough to stop the repository's server while it streams.
  await pg.psql("CREATE TABLE big AS SELECT i AS id, repeat(md5(i::text), 6) AS body FROM generate_series(1, 1200000) i");
});
afterAll(async () => {
  await recorder.stop();
  await removeTestContainers();
});

describe("the repository's server stops in the middle of a run", () => {
  it("fails the run within its time limit naming the repository, the next run succeeds, and the next unlocking job leaves no lock", async () => {
    const server = new RestServer();
    await server.start();
    const env = baseEnv({ RESTIC_REPOSITORY: server.url, RESTIC_PASSWORD: "rest-password", BACKUP_COMPOSE_PROJECT: project });
    await execa("restic", ["init", "--quiet"], { env });
    const started = Date.now();
    const run = new AgentProcess(["run", "postgres"], { ...env, BACKUP_POSTGRES_TIMEOUT: "2m" });
    await waitForProcess(pg.name, "pg_dump");
    await server.stop();
    const result = await run.process;
    const seconds = (Date.now() - started) / 1000;

    expect(result.exitCode, run.output).toBe(1);
    expect(seconds).toBeLessThan(120 + 20);
    expect(run.output).toContain("postgres timed out after 120s");
    expect(run.output).toContain(`repository ${server.url}`);
    expect(run.output).not.toContain("rest-password");

    await server.start();
    const next = await runAgent(["run", "postgres"], env);
    expect(next.exitCode, next.output).toBe(0);
    // The killed restic's lock could not be removed while the server was down. It holds up no backup;
    // the next job that may take the exclusive lock (here the check) removes it first.
    const checked = await runAgent(["run", "check"], env);
    expect(checked.exitCode, checked.output).toBe(0);
    expect(await locks(env)).toEqual([]);
  });
});

/** The largest data pack of a local repository: the big dump's data. */
function largestPack(repo: string): { id: string; path: string } {
  const packs = readdirSync(join(repo, "data")).flatMap((sub) => readdirSync(join(repo, "data", sub)).map((id) => ({ id, path: join(repo, "data", sub, id) })));
  return packs.sort((a, b) => statSync(b.path).size - statSync(a.path).size)[0] as { id: string; path: string };
}

describe("a damaged pack", () => {
  it("fails a full backup --check naming the pack, the target and the repair, and verify names the target and the pack", async () => {
    const repo = await newRepo("e2e-faults-pack");
    const env = baseEnv({ ...repo.env, BACKUP_COMPOSE_PROJECT: project, BACKUP_HC_BACKUP_URL: `${hc}/pack-uuid` });
    expect((await runAgent(["run", "postgres"], env)).exitCode).toBe(0);
    const pack = largestPack(repo.path);
    const bytes = readFileSync(pack.path);
    const middle = bytes.length >> 1;
    bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
    writeFileSync(pack.path, bytes);

    const checked = await runAgent(["run", "backup", "--check"], { ...env, BACKUP_CHECK_SUBSET: "100%" });
    expect(checked.exitCode, checked.output).toBe(1);
    const failed = checked.lines.find((l) => l.msg.startsWith("backup failed"))?.msg ?? "";
    expect(failed).toContain(`damaged pack ${pack.id}`);
    expect(failed).toContain('postgres target "db" (database appdb');
    expect(failed).toContain(`restic repair packs ${pack.id}`);
    await vi.waitFor(() => {
      const body = recorder.forCheck("pack-uuid").find((p) => p.kind === "fail" && p.rid === checked.runId)?.body ?? "";
      expect(body).toContain(`damaged pack ${pack.id}`);
    });
    const status = await runAgent(["status", "--standalone"], env);
    expect(status.output).toContain(`Last repository check: `);
    expect(status.output).toContain(`FAILED (damaged ${pack.id.slice(0, 8)})`);

    const verify = await runAgent(["run", "verify"], env);
    expect(verify.exitCode).toBe(1);
    const why = verify.lines.find((l) => l.msg.startsWith("verify failed"))?.msg ?? "";
    expect(why).toContain('postgres target "db": database "appdb"');
    expect(why).toContain(`from ${pack.id.slice(0, 8)} failed`);
    expect(await locks(repo.env)).toEqual([]);
  });
});
