// A verify killed with SIGKILL in the middle (its throwaway PostgreSQL container running and a volume
// half-restored into its temp dir), as when the agent's container is killed: the next daemon start
// removes the container, its volumes and the temp dir, then verifies on schedule.
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it, vi } from "vitest";
import { AgentProcess, baseEnv, freePort } from "./support/daemon.js";
import { docker, removeTestContainers, startPostgres, uniqueName } from "./support/docker.js";
import { newRepo } from "./support/restic.js";
import { createProjectVolume, removeTestVolumes, verifyDirsOf } from "./support/volumes.js";

const SLOW_RESTIC = join(import.meta.dirname, "../fixtures/slow-restore-restic.sh");

afterAll(async () => {
  await removeTestContainers();
  await removeTestVolumes();
});

/** The pid and every descendant of it (children first found with pgrep -P). */
async function processTree(pid: number): Promise<number[]> {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const children = await execa("pgrep", ["-P", String(out[i])], { reject: false });
    out.push(...String(children.stdout).split("\n").filter(Boolean).map(Number));
  }
  return out;
}

const leftovers = (runId: string) =>
  docker(["ps", "-a", "-q", "--filter", `label=backup-agent.verify.run=${runId}`]);

/** Names of the volumes mounted into the containers (anonymous ones included). */
async function volumesOf(ids: string): Promise<string[]> {
  const names = await docker([
    "inspect",
    "-f",
    '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}',
    ...ids.split("\n").filter(Boolean),
  ]);
  return names.split(/\s+/).filter(Boolean);
}

describe("crash cleanup", () => {
  it("reaps the throwaway container and the volume temp dir of a SIGKILLed verify at daemon start", async () => {
    const project = uniqueName("e2e-verify-crash");
    const root = mkdtempSync(join(tmpdir(), "e2e-verify-crash-root-"));
    const { dir } = await createProjectVolume(project, "files", root);
    writeFileSync(join(dir, "data.bin"), randomBytes(1024 * 1024));
    const pg = await startPostgres({ major: 15, project, service: "db" });
    await pg.psql("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100);");
    const repo = await newRepo("e2e-verify-crash");
    const env = baseEnv({ ...repo.env, BACKUP_COMPOSE_PROJECT: project, BACKUP_VOLUMES_ROOT: root });
    const backup = new AgentProcess(["run", "backup"], env);
    expect((await backup.process).exitCode, backup.output).toBe(0);

    const killed = new AgentProcess(
      ["run", "verify"],
      { ...env, RESTIC_BINARY: SLOW_RESTIC, SLOW_RESTORE_SECONDS: "60" },
    );
    const runId = await vi.waitFor(
      () => {
        const started = /"runId":"([0-9a-f-]{36})".*"msg":"throwaway container [^"]* started/.exec(killed.output);
        expect(started).not.toBeNull();
        expect(killed.output).toContain('"msg":"restoring volume');
        return started?.[1] as string;
      },
      { timeout: 60_000, interval: 100 },
    );
    // Kill the agent and every child at once, as the end of its container or cgroup would.
    const tree = await processTree(killed.process.pid as number);
    for (const pid of tree) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await killed.process;
    const throwaways = await leftovers(runId);
    expect(throwaways).not.toBe("");
    const throwawayVolumes = await volumesOf(throwaways);
    expect(verifyDirsOf(tmpdir(), runId)).toHaveLength(1);

    const crontab = join(mkdtempSync(join(tmpdir(), "e2e-verify-crash-cron-")), "crontab");
    writeFileSync(crontab, "*/10 * * * * * verify\n");
    const daemon = new AgentProcess(["daemon"], { ...env, BACKUP_CRONTAB: crontab }, await freePort());
    try {
      await vi.waitFor(
        () => {
          expect(daemon.output).toContain("removed throwaway containers left by a crashed verify");
          expect(daemon.output).toContain("removed temp dirs left by a crashed verify");
        },
        { timeout: 60_000, interval: 200 },
      );
      expect(await leftovers(runId)).toBe("");
      const volumes = (await docker(["volume", "ls", "-q"])).split("\n");
      expect(throwawayVolumes.filter((v) => volumes.includes(v))).toEqual([]);
      expect(verifyDirsOf(tmpdir(), runId)).toEqual([]);
      // The next scheduled verify passes, checks the volume and reports it per target.
      await vi.waitFor(
        async () => {
          expect(await daemon.metric("backup_restore_verify_success"), daemon.output).toBe(1);
          expect(
            await daemon.metric("backup_restore_verify_target_success", {
              kind: "volume",
              target: `${project}_files`,
              database: "",
            }),
          ).toBe(1);
        },
        { timeout: 120_000, interval: 500 },
      );
    } finally {
      daemon.process.kill("SIGTERM");
      await daemon.process;
    }
    const runs = [...daemon.output.matchAll(/"runId":"([0-9a-f-]{36})","trigger":"schedule"/g)].map((m) => m[1]);
    expect(runs.length).toBeGreaterThan(0);
    for (const id of runs) {
      expect(await leftovers(id as string)).toBe("");
      expect(verifyDirsOf(tmpdir(), id as string)).toEqual([]);
    }
  });
});
