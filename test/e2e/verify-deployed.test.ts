// The weekly verify as deployed (the agent's image, uid 10001, `docker compose run` and the profile's
// daemon): the user's own checks (SQL checks on PostgreSQL 15 and 17 targets, a verify command that
// restores a MariaDB exec dump in a throwaway copy of the server and counts rows), and verifies killed
// with SIGKILL inside their `compose run` container, whose throwaway containers the next `run verify`
// and the next daemon start remove, while a verify running in another agent is left alone.
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { agentProject, agentSecret, type ComposeProject, ensureAgentImage } from "./support/compose.js";
import { PG_IMAGES } from "./support/docker.js";
import { psql } from "./support/drill.js";
import { ensureMariadbImage, MARIADB_IMAGE } from "./support/mariadb.js";

const work = mkdtempSync(join(tmpdir(), "backup-agent-e2e-verify-deployed-"));
const FILES = ["compose/docker-compose.yml", "test/fixtures/drill/docker-compose.drill.yml", "test/fixtures/drill/docker-compose.verify.yml"];
const LEDGERS = ["ledger", "ledger-cut", "ledger-failing"];
const LEDGER_SEED = "CREATE TABLE entries (id int PRIMARY KEY, note text); INSERT INTO entries SELECT seq, CONCAT('entry ', seq) FROM seq_1_to_5000;";
const FAILING_CHECK = 'check "legacy: SELECT count(*) > 1000000 FROM invoices" answered "f", not true';
let project: ComposeProject;

/** The messages of a run's failed verifies (JSON log lines). */
function failures(output: string): string[] {
  return output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => (JSON.parse(l) as { msg: string }).msg)
    .filter((msg) => /^verify of \S+ \S+ in the (local|offsite) repository failed/.test(msg));
}

/** The names of the throwaway containers an agent container made (their owner label names its id). */
async function throwawaysOf(agentContainer: string): Promise<string[]> {
  const out = await execa("docker", ["ps", "-a", "--filter", "label=backup-agent.throwaway=true", "--format", '{{.Names}}\t{{.Label "backup-agent.owner"}}']);
  return out.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t"))
    .filter(([, owner]) => owner?.split(";").includes(`c=${agentContainer}`))
    .map(([name]) => name as string);
}

/** A one-off `run verify` in a container of this name, and its id once the engine has it. */
async function startVerify(name: string, extra: string[] = []) {
  const done = project.start(["run", "--rm", "--name", name, ...extra, "backup-agent", "run", "verify"], { timeout: 600_000 });
  let id = "";
  await vi.waitFor(
    async () => {
      id = (await execa("docker", ["inspect", "-f", "{{.Id}}", name])).stdout.trim();
    },
    { timeout: 60_000, interval: 200 },
  );
  return { done, id };
}

/** Kills a one-off agent's container once it has throwaway containers running; returns their names. */
async function killMidVerify(name: string): Promise<string[]> {
  const run = await startVerify(name);
  let made: string[] = [];
  await vi.waitFor(async () => expect((made = await throwawaysOf(run.id)).length).toBeGreaterThan(0), { timeout: 180_000, interval: 200 });
  await execa("docker", ["kill", "--signal", "KILL", name]);
  expect((await run.done).exitCode).not.toBe(0);
  // The killed agent could not clean up (and may have started another one before it died).
  const left = await throwawaysOf(run.id);
  expect(left).toEqual(expect.arrayContaining(made));
  return left;
}

async function exists(names: string[]): Promise<string[]> {
  const out = await execa("docker", ["ps", "-a", "--format", "{{.Names}}"]);
  const all = new Set(out.stdout.split("\n"));
  return names.filter((n) => all.has(n));
}

beforeAll(async () => {
  await Promise.all([ensureAgentImage(), ensureMariadbImage()]);
  const offsite = join(work, "offsite");
  mkdirSync(offsite);
  project = agentProject(work, "verify", FILES, {
    settings: ["BACKUP_LOG_FORMAT=json"],
    // The daemon must not start a verify of its own.
    crontab: "0 3 1 1 * verify\n",
    vars: {
      POSTGRES15_IMAGE: PG_IMAGES[15],
      OFFSITE_HOST_DIR: offsite,
      OFFSITE_PASSWORD_HOST_FILE: agentSecret(join(work, "offsite-password")),
      MARIADB_IMAGE,
    },
  });
  await project.compose(["up", "-d", "--no-build", "--wait", "--wait-timeout", "180", "db", "db15", "app", ...LEDGERS]);
  await project.compose(["exec", "-T", "app", "sh", "-c", "echo 'an upload' > /data/upload.txt"]);
  await psql(project, "db15", "legacy", "legacy", "CREATE TABLE invoices (id int PRIMARY KEY, amount numeric); INSERT INTO invoices SELECT i, i * 2 FROM generate_series(1, 4000) i;");
  for (const ledger of LEDGERS) {
    await project.compose(["exec", "-T", ledger, "sh", "-c", `mariadb -uroot -p"$MARIADB_ROOT_PASSWORD" ledger`], { input: LEDGER_SEED });
  }
  const check = await project.agent(["run", "check"]);
  expect(check.exitCode, check.output).toBe(0);
  const backup = await project.agent(["run", "backup"]);
  expect(backup.exitCode, backup.output).toBe(0);
}, 900_000);

afterAll(async () => {
  await project?.down();
});

/** The failures every verify of this project must show, and no others. */
function expectTheUsersChecks(output: string): void {
  const failed = failures(output);
  expect(failed.find((f) => f.includes('exec target "ledger-cut"')), output).toMatch(/the verify command exited [1-9]/);
  expect(failed.find((f) => f.includes('exec target "ledger-failing"')), output).toMatch(/the verify command exited 1/);
  expect(failed.find((f) => f.includes("db15")), output).toContain(FAILING_CHECK);
  // The good dump, the check that holds, and the other targets pass.
  expect(failed.filter((f) => !/ledger-cut|ledger-failing|db15/.test(f)), output).toEqual([]);
  expect(failed.join("\n")).not.toContain("count(*) > 0 FROM invoices");
  expect(output).toContain('"msg":"verified exec ledger"');
}

describe("verify with the user's own checks", () => {
  it("passes the good exec dump and the SQL checks that hold, and fails naming the cut dump, the failing command and the check", async () => {
    const verify = await project.agent(["run", "verify"]);
    expect(verify.exitCode, verify.output).toBe(1);
    expectTheUsersChecks(verify.output);
    const left = await execa("docker", ["ps", "-aq", "--filter", "label=backup-agent.throwaway=true"]);
    expect(left.stdout.trim()).toBe("");
  });
});

describe("a verify killed inside its compose run container", () => {
  it("is reaped by the next run verify and by the next daemon start, and a verify running in another agent is left alone", async () => {
    const first = await killMidVerify(`${project.name}-verify-a`);

    // The next one-off verify, one target at a time (so it runs long), removes them before it starts.
    const second = await startVerify(`${project.name}-verify-b`, ["-e", "BACKUP_CONCURRENCY=1"]);
    let secondMade: string[] = [];
    await vi.waitFor(async () => expect((secondMade = await throwawaysOf(second.id)).length).toBeGreaterThan(0), { timeout: 180_000, interval: 200 });
    expect(await exists(first)).toEqual([]);

    // While it runs, a third is killed; then the daemon starts.
    const third = await killMidVerify(`${project.name}-verify-c`);
    const stillRunning = await throwawaysOf(second.id);
    expect(stillRunning.length, "the second verify ended before the daemon started").toBeGreaterThan(0);
    await project.compose(["up", "-d", "--no-build", "backup-agent"]);
    await vi.waitFor(async () => expect(await exists(third)).toEqual([]), { timeout: 120_000, interval: 500 });
    const daemon = (await project.compose(["logs", "--no-color", "backup-agent"])).stdout;
    for (const name of third) expect(daemon).toContain(`removed leftover throwaway container ${name}`);
    for (const name of [...secondMade, ...stillRunning]) expect(daemon).not.toContain(name);

    // The verify that ran beside them was not disturbed: stopped now (SIGTERM), it removes its own
    // throwaways. (Waiting for it to finish would mean waiting out the restic lock the SIGKILLed third
    // left: restic cannot tell a dead process in another container from a live one for 30 minutes.)
    const running = await execa("docker", ["inspect", "-f", "{{.State.Running}}", `${project.name}-verify-b`], { reject: false });
    expect(running.stdout.trim(), "the second verify was still running when the daemon reaped").toBe("true");
    await execa("docker", ["stop", "--time", "60", `${project.name}-verify-b`]);
    const result = await second.done;
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output).toContain("removed leftover throwaway container");
    expect(output).not.toMatch(/No such container|no such container/);
    expect(failures(output).filter((f) => !/ledger-cut|ledger-failing|db15|aborted|signal|interrupted|SIGTERM/i.test(f)), output).toEqual([]);
    expect(await throwawaysOf(second.id)).toEqual([]);
  });
});
