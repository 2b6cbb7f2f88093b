// Offsite copies into a real restic REST server on loopback (`rclone serve restic`), retention over a
// synthetic history locally and offsite, and an offsite that is down while local backups go on.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentProcess, baseEnv } from "./support/daemon.js";
import { RestServer } from "./support/rest-server.js";
import { newRepo, type TestRepo } from "./support/restic.js";

const server = new RestServer();
let offsiteUrl = "";
const OFFSITE_PASSWORD = "offsite-password";
const offsiteEnv = () => ({ RESTIC_REPOSITORY: offsiteUrl, RESTIC_PASSWORD: OFFSITE_PASSWORD });

async function startRclone(): Promise<void> {
  await server.start();
  offsiteUrl = server.url;
}

const stopRclone = () => server.stop();

interface Snap {
  id: string;
  original?: string;
  time: string;
  tags?: string[];
  paths: string[];
}

async function list(env: Record<string, string>, tag = "backup-agent"): Promise<Snap[]> {
  const { stdout } = await execa("restic", ["snapshots", "--json", "--no-lock", "--tag", tag], { env });
  return (JSON.parse(stdout) ?? []) as Snap[];
}

/** A snapshot of one small file, made at `time`, tagged as the agent tags a target. */
async function backupAt(repo: TestRepo, target: string, day: string, content: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "e2e-offsite-src-"));
  writeFileSync(join(dir, "file.txt"), content);
  const tags = `backup-agent,kind=volume,target=${target},run=${day}-${target}`;
  await execa(
    "restic",
    ["backup", "--quiet", "--host", "backup-agent", "--tag", tags, "--time", `${day} 03:00:00`, "."],
    {
      env: repo.env,
      cwd: dir,
    },
  );
}

function agentEnv(repo: TestRepo, extra: Record<string, string> = {}) {
  return baseEnv({
    ...repo.env,
    BACKUP_COMPOSE_PROJECT: "e2e-offsite-none",
    BACKUP_VOLUMES_ROOT: mkdtempSync(join(tmpdir(), "e2e-offsite-root-")),
    BACKUP_OFFSITE_REPOSITORY: offsiteUrl,
    BACKUP_OFFSITE_PASSWORD: OFFSITE_PASSWORD,
    ...extra,
  });
}

const DAYS = ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05"];
let repo: TestRepo;

beforeAll(async () => {
  await startRclone();
  repo = await newRepo("e2e-offsite");
  for (const day of DAYS) {
    await backupAt(repo, "alpha", day, `alpha on ${day}\n`);
    await backupAt(repo, "beta", day, `beta on ${day}\n`);
  }
});

afterAll(async () => {
  await stopRclone();
});

describe("offsite", () => {
  it("initialises the offsite repository and copies the same snapshots with the same contents", async () => {
    const agent = new AgentProcess(["run", "offsite"], agentEnv(repo));
    const result = await agent.process;
    expect(result.exitCode, agent.output).toBe(0);
    expect(agent.output).toContain("offsite repository initialised with the local chunker parameters");
    // Secrets went through the environment only.
    expect(agent.output).not.toContain(repo.password);

    const local = await list(repo.env);
    const remote = await list(offsiteEnv());
    expect(remote.length).toBe(local.length);
    expect(remote.map((s) => s.original ?? s.id).sort()).toEqual(local.map((s) => s.id).sort());
    for (const copy of remote) {
      const source = local.find((s) => s.id === (copy.original ?? copy.id)) as Snap;
      expect(copy.time).toBe(source.time);
      expect(copy.tags).toEqual(source.tags);
      const path = "/file.txt";
      const mine = await execa("restic", ["dump", "--no-lock", source.id, path], { env: repo.env });
      const theirs = await execa("restic", ["dump", "--no-lock", copy.id, path], { env: offsiteEnv() });
      expect(theirs.stdout).toBe(mine.stdout);
    }

    // A second run copies nothing new and does not re-initialise.
    const again = new AgentProcess(["run", "offsite"], agentEnv(repo));
    expect((await again.process).exitCode, again.output).toBe(0);
    expect(again.output).not.toContain("initialised");
    expect((await list(offsiteEnv())).length).toBe(local.length);
  });

  it("keeps exactly what each policy says, per target, locally and offsite", async () => {
    const local = new AgentProcess(["run", "backup", "--prune"], agentEnv(repo, { BACKUP_KEEP_DAILY: "3" }));
    expect((await local.process).exitCode, local.output).toBe(0);
    const kept = await list(repo.env);
    const days = (snaps: Snap[], target: string) =>
      snaps
        .filter((s) => s.tags?.includes(`target=${target}`))
        .map((s) => s.time.slice(0, 10))
        .sort();
    expect(days(kept, "alpha")).toEqual(DAYS.slice(2));
    expect(days(kept, "beta")).toEqual(DAYS.slice(2));

    const offsite = new AgentProcess(
      ["run", "offsite", "--prune"],
      agentEnv(repo, { BACKUP_OFFSITE_KEEP_LAST: "4" }),
    );
    expect((await offsite.process).exitCode, offsite.output).toBe(0);
    const remote = await list(offsiteEnv());
    expect(days(remote, "alpha")).toEqual(DAYS.slice(1));
    expect(days(remote, "beta")).toEqual(DAYS.slice(1));
  });

  it("refuses --prune without a policy, loudly", async () => {
    const agent = new AgentProcess(["run", "backup", "--prune"], agentEnv(repo));
    expect((await agent.process).exitCode).toBe(1);
    expect(agent.output).toContain("no retention policy is configured");
  });

  it("fails loudly naming the offsite repository when it is down, and the next local backup still succeeds", async () => {
    await stopRclone();
    const before = (await list(repo.env)).length;
    const agent = new AgentProcess(["run", "offsite"], agentEnv(repo, { BACKUP_OFFSITE_TIMEOUT: "10s" }));
    const result = await agent.process;
    expect(result.exitCode).toBe(1);
    expect(agent.output).toContain(`offsite repository ${offsiteUrl}`);
    expect((await list(repo.env)).length).toBe(before);

    const volumeRoot = mkdtempSync(join(tmpdir(), "e2e-offsite-root-"));
    mkdirSync(join(volumeRoot, "uploads"));
    writeFileSync(join(volumeRoot, "uploads", "file"), "still backed up\n");
    const backup = new AgentProcess(
      ["run", "backup"],
      agentEnv(repo, { BACKUP_VOLUMES_ROOT: volumeRoot, BACKUP_VOLUMES: "uploads" }),
    );
    expect((await backup.process).exitCode, backup.output).toBe(0);
    expect((await list(repo.env, "target=uploads")).length).toBe(1);
  });
});
