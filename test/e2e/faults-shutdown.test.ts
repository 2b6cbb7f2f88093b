// Shutdown however it is signalled: SIGTERM to the daemon's whole process group (systemd's
// control-group stop) and `docker stop` of the image, with and without `init: true`. A dump that fits
// in BACKUP_SHUTDOWN_GRACE completes and is stored; one that does not is aborted, with no snapshot
// and no lock.
import { chmodSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_IMAGE, ensureAgentImage } from "./support/compose.js";
import { AgentProcess, baseEnv } from "./support/daemon.js";
import { docker, E2E_LABEL, removeTestContainers, startIdleContainer, uniqueName, waitForProcess } from "./support/docker.js";
import { locks, newRepo, snapshots, type TestRepo } from "./support/restic.js";

const project = uniqueName("e2e-faults-stop");
let quick = "";
let slow = "";
const crontab = join(mkdtempSync(join(tmpdir(), "e2e-faults-stop-")), "crontab");

beforeAll(async () => {
  await ensureAgentImage();
  // Two dumps: one done a few seconds after it starts, one that would take five minutes.
  quick = await startIdleContainer(project, "quick", { labels: { "backup-agent.exec.command": "sleep 4; seq 1 20000" } });
  slow = await startIdleContainer(project, "slow", { labels: { "backup-agent.exec.command": "sleep 300; seq 1 20000" } });
  writeFileSync(crontab, "* * * * * * backup\n");
  chmodSync(crontab, 0o644);
});
afterAll(removeTestContainers);

const settings = { BACKUP_COMPOSE_PROJECT: project, BACKUP_SHUTDOWN_GRACE: "20s", BACKUP_VOLUMES_ROOT: "/nonexistent", BACKUP_LOG_FORMAT: "json" };

/** Both dumps are running: the moment to ask the agent to stop. */
async function bothDumping(): Promise<void> {
  await waitForProcess(quick, "sleep 4");
  await waitForProcess(slow, "sleep 300");
}

async function expectGraceKept(repo: TestRepo, output: string): Promise<void> {
  expect(output).toContain("waiting for running jobs to finish");
  expect(output).toContain("grace period over: aborting running jobs");
  const [stored] = await snapshots(repo, "kind=exec", "target=quick");
  const dump = await execa("restic", ["dump", stored?.id as string, stored?.paths[0] as string], { env: repo.env });
  expect(dump.stdout.split("\n")).toHaveLength(20_000);
  expect(await snapshots(repo, "kind=exec", "target=slow")).toEqual([]);
  expect(await locks(repo.env)).toEqual([]);
}

describe("SIGTERM to the daemon's whole process group", () => {
  it("lets the dump that fits in the grace finish, aborts the other, and exits 0 leaving no lock", async () => {
    const repo = await newRepo("e2e-faults-group");
    const daemon = new AgentProcess(["daemon"], baseEnv({ ...repo.env, ...settings, BACKUP_CRONTAB: crontab }), undefined, { ownGroup: true });
    await bothDumping();
    daemon.signalGroup("SIGTERM");
    const result = await daemon.process;
    expect(result.exitCode, daemon.output).toBe(0);
    await expectGraceKept(repo, daemon.output);
  });
});

describe.each([
  ["with init: true", ["--init"]],
  ["without init", []],
])("docker stop of the agent's container, %s", (_name, init) => {
  it("lets the dump that fits in the grace finish, aborts the other, and leaves no lock", async () => {
    const repo = await newRepo("e2e-faults-docker");
    // As deployed: the image's uid 10001, the socket through its group, the repository its own.
    await execa("chown", ["-R", "10001:10001", repo.path]);
    const name = uniqueName("e2e-faults-agent");
    const env = { ...settings, RESTIC_REPOSITORY: "/repository", RESTIC_PASSWORD: repo.password, BACKUP_CRONTAB: "/etc/backup-agent/crontab" };
    const args = ["run", "-d", "--name", name, "--label", E2E_LABEL, ...init, "--group-add", String(statSync("/var/run/docker.sock").gid)];
    args.push("-v", "/var/run/docker.sock:/var/run/docker.sock", "-v", `${repo.path}:/repository`, "-v", `${crontab}:/etc/backup-agent/crontab:ro`);
    for (const [k, v] of Object.entries(env)) args.push("-e", `${k}=${v}`);
    await docker([...args, AGENT_IMAGE, "daemon"]);
    await bothDumping();
    await docker(["stop", "-t", "60", name]);
    const logs = await execa("docker", ["logs", name], { all: true });
    expect(Number(await docker(["inspect", "-f", "{{.State.ExitCode}}", name])), logs.all).toBe(0);
    await expectGraceKept(repo, String(logs.all));
  });
});
