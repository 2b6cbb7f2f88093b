// Volumes on the real engine: real named volumes (read through a temp root of symlinks to their
// mountpoints, as a read-only mount would show them), restored byte-identical; stop labels under
// failure; unprotected and excluded volumes.
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AgentProcess, baseEnv, freePort } from "./support/daemon.js";
import { docker, removeTestContainers, startIdleContainer } from "./support/docker.js";
import { newRepo, snapshots, type TestRepo } from "./support/restic.js";
import { containerState, createProjectVolume, digestTree, removeTestVolumes } from "./support/volumes.js";

const project = `e2e-vol-${randomBytes(3).toString("hex")}`;
const root = mkdtempSync(join(tmpdir(), "e2e-vol-root-"));
const agents: AgentProcess[] = [];

function env(repo: TestRepo, extra: Record<string, string> = {}) {
  return baseEnv({ ...repo.env, BACKUP_COMPOSE_PROJECT: project, BACKUP_VOLUMES_ROOT: root, ...extra });
}

let dataDir = "";
let mediaDir = "";
beforeAll(async () => {
  // One linked by its full name, one by its Compose key, as `volumes: [name:/volumes/...:ro]` would mount them.
  dataDir = (await createProjectVolume(project, "data", root, { linkAs: "name" })).dir;
  mediaDir = (await createProjectVolume(project, "media", root, { linkAs: "key" })).dir;
  await createProjectVolume(project, "orphan", undefined);
  await createProjectVolume(project, "cache", undefined, { labels: { "backup-agent.exclude": "true" } });
  // Files of several sizes and modes, an empty file, a nested directory, a name with a space.
  writeFileSync(join(dataDir, "small.txt"), "hello\n");
  writeFileSync(join(dataDir, "big.bin"), randomBytes(3 * 1024 * 1024));
  writeFileSync(join(dataDir, "empty"), "");
  mkdirSync(join(dataDir, "nested/deeper"), { recursive: true });
  writeFileSync(join(dataDir, "nested/deeper/secret key.pem"), randomBytes(2048));
  chmodSync(join(dataDir, "nested/deeper/secret key.pem"), 0o600);
  writeFileSync(join(dataDir, "run.sh"), "#!/bin/sh\necho hi\n");
  chmodSync(join(dataDir, "run.sh"), 0o755);
  writeFileSync(join(mediaDir, "photo.jpg"), randomBytes(512 * 1024));
});

afterAll(async () => {
  for (const agent of agents.splice(0)) await agent.stop();
  await removeTestContainers();
  await removeTestVolumes();
});

describe("volume backups", () => {
  it("backs up two volumes as their own snapshots and restores them byte-identical", async () => {
    const repo = await newRepo("e2e-vol-roundtrip");
    const agent = new AgentProcess(["run", "backup"], env(repo));
    const result = await agent.process;
    expect(result.exitCode, agent.output).toBe(0);

    const stored = await snapshots(repo, "kind=volume");
    expect(stored.map((s) => s.tag.target).sort()).toEqual([`${project}_data`, `${project}_media`]);
    for (const [name, source] of [
      [`${project}_data`, dataDir],
      [`${project}_media`, mediaDir],
    ] as const) {
      const snapshot = stored.find((s) => s.tag.target === name);
      expect(snapshot?.tags).toContain("backup-agent");
      expect(snapshot?.paths).toEqual([source]);
      const target = mkdtempSync(join(tmpdir(), "e2e-vol-restore-"));
      await execa("restic", ["restore", snapshot?.id as string, "--target", target], { env: repo.env });
      expect(digestTree(join(target, source))).toEqual(digestTree(source));
    }
    expect(Object.keys(digestTree(dataDir))).toContain("nested/deeper/secret key.pem");
  });

  it("starts the containers labelled to stop again after a backup made to fail, and leaves a stopped one stopped", async () => {
    const repo = await newRepo("e2e-vol-stop");
    const app = await startIdleContainer(project, "app", { labels: { "backup-agent.stop-during-backup": "true" } });
    const idle = await startIdleContainer(project, "idle", { labels: { "backup-agent.stop-during-backup": "true" } });
    await docker(["stop", idle]);
    const before = await containerState(app);
    mkdirSync(join(root, "e2e-vol-empty"));

    const agent = new AgentProcess(["run", "backup"], env(repo, { BACKUP_VOLUMES: "e2e-vol-empty" }));
    const result = await agent.process;
    expect(result.exitCode, agent.output).toBe(1);
    expect(agent.output).toContain(`volume \\"e2e-vol-empty\\": ${join(root, "e2e-vol-empty")} is empty`);
    expect(agent.output).toContain(`stopped ${app} for the volume backup`);
    expect(agent.output).toContain(`started ${app} again`);

    const after = await containerState(app);
    expect(after.running).toBe(true);
    // It really was stopped and started: Docker records a new start time.
    expect(after.startedAt).not.toBe(before.startedAt);
    expect((await containerState(idle)).running).toBe(false);
    // The other volumes were still backed up.
    expect((await snapshots(repo, "kind=volume")).length).toBe(2);
  });

  it("reports a project volume that no target covers as unprotected, and not an excluded one; reports the check", async () => {
    const repo = await newRepo("e2e-vol-plan");
    const plan = new AgentProcess(["plan", "--json"], env(repo));
    const result = await plan.process;
    expect(result.exitCode, plan.output).toBe(0);
    const parsed = JSON.parse(String(result.stdout)) as { volumes: Record<string, unknown> };
    expect(parsed.volumes.unprotected).toEqual([`${project}_orphan`]);
    expect(parsed.volumes.excluded).toEqual([`${project}_cache`]);

    const crontab = join(mkdtempSync(join(tmpdir(), "e2e-vol-cron-")), "crontab");
    writeFileSync(crontab, "*/2 * * * * * backup --check\n");
    const agent = new AgentProcess(["daemon"], env(repo, { BACKUP_CRONTAB: crontab }), await freePort());
    agents.push(agent);
    await vi.waitFor(async () => expect(await agent.metric("backup_unprotected_volumes")).toBe(1), {
      timeout: 60_000,
      interval: 250,
    });
    expect(await agent.metric("backup_unprotected_volume", { volume: `${project}_orphan` })).toBe(1);
    expect(await agent.metric("backup_unprotected_volume", { volume: `${project}_cache` })).toBeUndefined();
    expect(agent.output).toContain(`not backed up by any target: ${project}_orphan`);
    await vi.waitFor(async () => expect(await agent.metric("backup_repository_check_success")).toBe(1), {
      timeout: 60_000,
      interval: 250,
    });
    expect(await agent.metric("backup_repository_check_timestamp_seconds")).toBeGreaterThan(
      Date.now() / 1000 - 120,
    );
    await agent.stop();
  });

  it("streams a labelled dump command's output into restic, and a failing command leaves no snapshot", async () => {
    const repo = await newRepo("e2e-vol-exec");
    const execProject = `${project}-exec`;
    const command = (c: string) => ({ "backup-agent.exec.command": c });
    // The credential is the container's own env, expanded inside the container by the command.
    await startIdleContainer(execProject, "kv", {
      env: { KV_PASSWORD: "from-the-container" },
      labels: { ...command('printf "user=%s secret=%s\\n" "$(id -un)" "$KV_PASSWORD"; seq 1 50000'), "backup-agent.exec.user": "nobody", "backup-agent.exec.filename": "kv.txt" },
    });
    await startIdleContainer(execProject, "broken", { labels: command("seq 1 1000; echo 'dump failed half-way' >&2; exit 3") });

    const agent = new AgentProcess(["run", "backup"], env(repo, { BACKUP_COMPOSE_PROJECT: execProject }));
    const result = await agent.process;
    expect(result.exitCode, agent.output).toBe(1);
    expect(agent.output).toContain(
      'exec target \\"broken\\": the dump command exited 3: dump failed half-way',
    );
    expect(await snapshots(repo, "target=broken")).toEqual([]);
    const [kv] = await snapshots(repo, "kind=exec", "target=kv");
    const file = kv?.paths[0] as string;
    const dump = await execa("restic", ["dump", kv?.id as string, file], { env: repo.env });
    const lines = dump.stdout.split("\n");
    expect(lines[0]).toBe("user=nobody secret=from-the-container");
    expect(lines.length).toBe(50_001);
    expect(agent.output).not.toContain("from-the-container");
  });
});
