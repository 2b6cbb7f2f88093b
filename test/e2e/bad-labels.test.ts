// Bad labels on a real engine, and what reaches the agent from outside at run time: containers and
// volumes of one Compose project carry one wrong label each (or a few), and `plan --json` and
// `run backup` must name each container (or volume), label and value with what was expected; a
// container removed between discovery and exec, a dump that writes nothing, a "postgres" without
// psql fail naming their target. No secret of the project appears in any output.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BASE_SECRET } from "./support/bad-input.js";
import { AgentProcess, baseEnv, runAgent } from "./support/daemon.js";
import { docker, removeTestContainers, startIdleContainer, startPostgres } from "./support/docker.js";
import { newRepo } from "./support/restic.js";
import { createProjectVolume, removeTestVolumes } from "./support/volumes.js";

const project = `e2e-labels-${Math.random().toString(36).slice(2, 8)}`;
const LABEL_SECRET = "Zq7-label-secret-value";
const ENV_SECRET = "Zq7-container-env-secret";
const names: Record<string, string> = {};
let plan = { exitCode: undefined as number | undefined, text: "", output: "" };
let run = { exitCode: undefined as number | undefined, text: "", output: "" };

const idle = async (service: string, labels: Record<string, string>, env?: Record<string, string>) => {
  names[service] = await startIdleContainer(project, service, { labels, env });
};

beforeAll(async () => {
  await idle("typos", {
    "backup-agent.postgress": "true",
    backup_agent_other: "x",
    "backup_agent.postgres": "true",
    "backup-agnet.exec.command": "cat /etc/hostname",
    "Backup-Agent.meilisearch": "true",
    "backup.agent.hook.pre": "true",
    "backup-agent.postgres.password": LABEL_SECRET,
    "backup-agent.exclude": "true",
    "backup-agent.stop-during-backup": "yes",
    "backup-agent.hook.timeout": "5m",
    "backup-agent.postgres.user": "app",
  });
  await idle("cache", { "backup-agent.exec.command": "cat /etc/hostname", "backup-agent.exec.usr": "root", "backup-agent.exec.filename": "../x" });
  await idle("hooked", { "backup-agent.exec.command": "echo data", "backup-agent.hook.pre": "", "backup-agent.hook.timeout": "25d", "backup-agent.hook.user": "" });
  await idle("blank", { "backup-agent.exec.command": " ", "backup-agent.exec.user": "" });
  await idle("empty", { "backup-agent.exec.command": "true" });
  await idle("leaky", { "backup-agent.exec.command": 'echo "auth failed for $DB_PASSWORD" >&2; exit 2' }, { DB_PASSWORD: ENV_SECRET });
  await idle("a-slow", { "backup-agent.exec.command": "touch /tmp/started; sleep 4; echo data" });
  await idle("z-gone", { "backup-agent.exec.command": "echo data" });
  await idle("search", { "backup-agent.meilisearch": "1", "backup-agent.meilisearch.url": "search:7700", "backup-agent.meilisearch.snapshot-dir": "snapshots" });
  await idle("maybe", { "backup-agent.postgres": "yes", "backup-agent.postgres.user": "" });
  await idle("notpg", { "backup-agent.postgres": "true" });
  const db = await startPostgres({
    major: 15,
    project,
    service: "db",
    labels: { "backup-agent.postgres.compress": "11", "backup-agent.postgres.globals": "yes", "backup-agent.postgres.password-env": "NOPE", "backup-agent.postgres.databases": "" },
  });
  names.db = db.name;
  names.v1 = (await createProjectVolume(project, "v1", undefined, { labels: { "backup-agent.exclude": "yes" } })).name;
  names.v2 = (await createProjectVolume(project, "v2", undefined, { labels: { "backup-agent.exlude": "true" } })).name;

  const repo = await newRepo("e2e-labels");
  const env = baseEnv({
    ...repo.env,
    BACKUP_COMPOSE_PROJECT: project,
    BACKUP_HTTP_LISTEN: "off",
    BACKUP_CONCURRENCY: "1",
    BACKUP_VOLUMES_ROOT: mkdtempSync(join(tmpdir(), "e2e-labels-root-")),
    BACKUP_EXPECTED_TARGETS: "volume/e2e-missing-volume, exec/missing-exec",
  });
  const planned = await runAgent(["plan", "--json"], env);
  const json = JSON.parse(planned.output.slice(planned.output.indexOf("{\n"))) as { problems: string[]; targets: { problems: string[] }[] };
  plan = { exitCode: planned.exitCode, text: [...json.problems, ...json.targets.flatMap((t) => t.problems)].join("\n"), output: planned.output };

  // z-gone is discovered with the others, then removed while a-slow's dump runs (one at a time).
  const backup = new AgentProcess(["run", "backup"], env);
  await vi.waitFor(() => docker(["exec", names["a-slow"] as string, "test", "-f", "/tmp/started"]), { timeout: 120_000, interval: 200 });
  await docker(["rm", "-f", names["z-gone"] as string]);
  const result = await backup.process;
  const msgs = backup.output.split("\n").flatMap((l) => (l.startsWith("{") ? [String((JSON.parse(l) as { msg: string }).msg)] : []));
  run = { exitCode: result.exitCode, text: msgs.join("\n"), output: backup.output };
}, 300_000);

afterAll(async () => {
  await removeTestContainers();
  await removeTestVolumes();
});

const on = (service: string) => names[service] as string;
type Where = "plan" | "run";
const CASES: [string, Where[], (n: typeof on) => string][] = [
  ["an unknown label, with the one meant", ["plan", "run"], (n) => `container ${n("typos")}: label backup-agent.postgress="true": not a label backup-agent knows (did you mean backup-agent.postgres?)`],
  ["a prefix written with an underscore", ["plan", "run"], (n) => `container ${n("typos")}: label backup_agent.postgres="true": looks like a backup-agent label with a misspelt prefix, which backup-agent ignores (expected backup-agent.postgres)`],
  ["a prefix with swapped letters", ["plan", "run"], (n) => `container ${n("typos")}: label backup-agnet.exec.command="cat /etc/hostname": looks like a backup-agent label with a misspelt prefix, which backup-agent ignores (expected backup-agent.exec.command)`],
  ["a prefix with a dot inside", ["plan"], (n) => `container ${n("typos")}: label backup.agent.hook.pre="true": looks like a backup-agent label with a misspelt prefix, which backup-agent ignores (expected backup-agent.hook.pre)`],
  ["a label in the wrong case", ["plan", "run"], (n) => `container ${n("typos")}: label Backup-Agent.meilisearch="true": label names are case-sensitive: expected backup-agent.meilisearch`],
  ["an unknown label whose value looks secret, by its length", ["plan", "run"], (n) => `container ${n("typos")}: label backup-agent.postgres.password=<redacted, ${LABEL_SECRET.length} characters>: not a label backup-agent knows (did you mean backup-agent.postgres.password-env?)`],
  ["a volume's label on a container", ["plan"], (n) => `container ${n("typos")}: label backup-agent.exclude="true": is a volume's label (put it on the volume): here it does nothing`],
  ["a stop switch that is neither true nor false", ["plan", "run"], (n) => `container ${n("typos")}: label backup-agent.stop-during-backup="yes": expected true or false`],
  ["a hook timeout without a hook", ["plan"], (n) => `container ${n("typos")}: label backup-agent.hook.timeout="5m": does nothing without backup-agent.hook.pre or backup-agent.hook.post`],
  ["a kind's label without the kind's label", ["plan"], (n) => `container ${n("typos")}: label backup-agent.postgres.user="app": does nothing without backup-agent.postgres`],
  ["an unknown exec label", ["plan", "run"], (n) => `container ${n("cache")}: label backup-agent.exec.usr="root": not a label backup-agent knows (did you mean backup-agent.exec.user?)`],
  ["an exec file name that leaves its folder", ["plan", "run"], (n) => `label backup-agent.exec.filename of container ${n("cache")}: expected a file name of letters, digits, ".", "_", "-"; got "../x"`],
  ["an empty pre-hook", ["plan", "run"], (n) => `hooks of container ${n("hooked")}: label backup-agent.hook.pre: expected a command; got ""`],
  ["a hook timeout past Node's timer limit", ["plan", "run"], () => 'label backup-agent.hook.timeout: expected at most 2147483647ms (about 24.8 days, the longest timer Node.js can set); got "25d"'],
  ["an empty hook user", ["plan", "run"], () => `label backup-agent.hook.user: expected a user name (leave it out for the container's own user); got ""`],
  ["a blank exec command", ["plan", "run"], (n) => `label backup-agent.exec.command of container ${n("blank")}: expected a dump command; got " "`],
  ["an empty exec user", ["plan", "run"], (n) => `label backup-agent.exec.user of container ${n("blank")}: expected a user name (leave it out for the container's own user); got ""`],
  ["a Meilisearch switch of 1", ["plan", "run"], (n) => `label backup-agent.meilisearch of container ${n("search")}: expected true or false; got "1"`],
  ["a Meilisearch URL without a scheme", ["plan", "run"], (n) => `label backup-agent.meilisearch.url of container ${n("search")}: expected an http:// or https:// URL; got "search:7700"`],
  ["a relative snapshot directory", ["plan", "run"], (n) => `label backup-agent.meilisearch.snapshot-dir of container ${n("search")}: expected an absolute path in the container; got "snapshots"`],
  ["a PostgreSQL switch of yes", ["plan", "run"], (n) => `label backup-agent.postgres of container ${n("maybe")}: expected true or false; got "yes"`],
  ["an empty PostgreSQL role", ["plan", "run"], (n) => `label backup-agent.postgres.user of container ${n("maybe")}: expected a role name; got ""`],
  ["a compression level out of range", ["plan", "run"], (n) => `label backup-agent.postgres.compress of container ${n("db")}: expected 0-9, gzip:N, lz4 or zstd:N; got "11"`],
  ["a globals switch of yes", ["plan", "run"], (n) => `label backup-agent.postgres.globals of container ${n("db")}: expected true or false; got "yes"`],
  ["a password variable the container lacks", ["plan", "run"], (n) => `label backup-agent.postgres.password-env of container ${n("db")}: expected the name of a variable in the container's environment; got "NOPE", which the container does not have`],
  ["an empty list of databases", ["plan", "run"], (n) => `label backup-agent.postgres.databases of container ${n("db")}: expected a comma list of databases; got "" (leave it out for every database)`],
  ["a volume's switch of yes", ["plan", "run"], (n) => `volume ${n("v1")}: label backup-agent.exclude="yes": expected true or false`],
  ["a misspelt volume label", ["plan", "run"], (n) => `volume ${n("v2")}: label backup-agent.exlude="true": not a label backup-agent knows (did you mean backup-agent.exclude?)`],
  ["an expected volume that is missing", ["plan"], () => "expected target volume/e2e-missing-volume is not found: no volume of that name is mounted under "],
  ["an expected exec target that is missing", ["plan"], () => "expected target exec/missing-exec is not found: no labelled container exists"],
];

const RUN_TIME: [string, (n: typeof on) => string | RegExp][] = [
  ["an expected volume that is missing fails the run", () => 'volume "e2e-missing-volume" is expected but no volume of that name is mounted under '],
  ["an expected exec target that is missing fails the run", () => 'exec target "missing-exec" is expected but no labelled container exists'],
  ["a container removed between discovery and exec", (n) => `exec target "z-gone": container ${n("z-gone")} no longer exists`],
  ["a dump command that writes nothing", () => 'exec target "empty": the dump command exited 0 but wrote nothing to stdout'],
  ["a dump command whose stderr holds the container's password, redacted", () => 'exec target "leaky": the dump command exited 2: auth failed for [redacted]'],
  ["a PostgreSQL label on a container without psql", (n) => new RegExp(`postgres target "notpg".*psql in ${n("notpg")} exited 12[67]`)],
];

describe(`bad labels on a real engine (${CASES.length + RUN_TIME.length} cases)`, () => {
  it("plan exits 1 and run backup exits 1, printing no secret and no stack trace", () => {
    expect(plan.exitCode, plan.output).toBe(1);
    expect(run.exitCode, run.output).toBe(1);
    for (const output of [plan.output, run.output]) {
      for (const secret of [LABEL_SECRET, ENV_SECRET, BASE_SECRET, "app-password"]) expect(output).not.toContain(secret);
      expect(output).not.toMatch(/^\s*at .*:\d+:\d+\)?$/m);
    }
    expect(run.text).toContain("a-slow");
  });

  it("leaves labels of other tools alone, even with a look-alike prefix (backup-agent-e2e, backup_agent_other)", () => {
    expect(plan.text).not.toMatch(/backup-agent-e2e|backup_agent_other/);
  });

  for (const [what, where, says] of CASES) {
    it(`names ${what}, with its container or volume, label and value (${where.join(" and ")})`, () => {
      if (where.includes("plan")) expect(plan.text).toContain(says(on));
      if (where.includes("run")) expect(run.text).toContain(says(on));
    });
  }

  for (const [what, says] of RUN_TIME) {
    it(`fails the run naming ${what}`, () => {
      const expected = says(on);
      if (typeof expected === "string") expect(run.text).toContain(expected);
      else expect(run.text).toMatch(expected);
    });
  }
});
