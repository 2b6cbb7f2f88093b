// Labelled pre/post hooks around a real dump: what the pre-hook wrote is in the backup, what the
// post-hook wrote is not; a failing pre-hook fails its target, leaves no snapshot, and the post-hook
// still runs.
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { AgentProcess, baseEnv } from "./support/daemon.js";
import { docker, E2E_LABEL, removeTestContainers, startPostgres, uniqueName } from "./support/docker.js";
import { newRepo, snapshots } from "./support/restic.js";

const volumes: string[] = [];
afterAll(async () => {
  await removeTestContainers();
  if (volumes.length) await execa("docker", ["volume", "rm", "-f", ...volumes], { reject: false });
});

const psqlHook = (what: string) =>
  `psql -X -q -U app -d appdb -c "INSERT INTO hook_log VALUES ('${what}', '$(id -un)')"`;

describe("pre- and post-hooks", () => {
  it("runs the pre-hook before the dump and the post-hook after it, as the labelled user; a failing pre-hook fails only its target", async () => {
    const project = "e2e-hooks";
    const db = await startPostgres({
      major: 15,
      project,
      service: "db",
      labels: {
        "backup-agent.hook.pre": psqlHook("pre"),
        "backup-agent.hook.post": psqlHook("post"),
        "backup-agent.hook.user": "postgres",
        "backup-agent.postgres.databases": "appdb",
        "backup-agent.postgres.globals": "false",
      },
    });
    await db.psql("CREATE TABLE hook_log (phase text, os_user text)");
    const locked = await startPostgres({
      major: 15,
      project,
      service: "locked",
      labels: {
        "backup-agent.hook.pre": "echo 'ERROR 1205: lock wait timeout exceeded' >&2; exit 3",
        "backup-agent.hook.post": "touch /tmp/post-hook-ran",
        "backup-agent.postgres.databases": "appdb",
        "backup-agent.postgres.globals": "false",
      },
    });
    const repo = await newRepo("e2e-hooks");

    const agent = new AgentProcess(
      ["run", "postgres"],
      baseEnv({ ...repo.env, BACKUP_COMPOSE_PROJECT: project }),
    );
    const result = await agent.process;

    expect(result.exitCode).toBe(1);
    expect(agent.output).toContain(
      `postgres target \\"locked\\" was not backed up: pre-hook in container ${locked.name} exited 3: ERROR 1205: lock wait timeout exceeded`,
    );
    expect(await snapshots(repo, "target=locked")).toEqual([]);
    await docker(["exec", locked.name, "test", "-f", "/tmp/post-hook-ran"]);

    // The live database has both rows, written as the hook user; the stored dump only the pre-hook's.
    expect(await db.psql("SELECT phase || ':' || os_user FROM hook_log ORDER BY phase DESC")).toBe(
      "pre:postgres\npost:postgres",
    );
    const [stored] = await snapshots(repo, "target=db", "database=appdb");
    expect(stored).toBeDefined();
    const restored = await execa("restic", ["dump", "--quiet", stored?.id as string, stored?.paths[0] as string], {
      env: repo.env,
    }).pipe("docker", ["exec", "-i", db.name, "pg_restore", "--data-only", "--table=hook_log", "-f", "-"]);
    expect(restored.stdout).toMatch(/^pre\tpostgres$/m);
    expect(restored.stdout).not.toMatch(/^post\t/m);
  });
});

describe("hooks around the volume step", () => {
  it("guards each volume with the hooks of the containers that mount it, and runs every post-hook", async () => {
    const project = `e2e-vhooks-${Date.now().toString(36)}`;
    const root = mkdtempSync(join(tmpdir(), "e2e-vhooks-root-"));
    const app = async (service: string, key: string, hooks: Record<string, string>) => {
      const volume = `${project}_${key}`;
      await docker(["volume", "create", "--label", E2E_LABEL, "--label", `com.docker.compose.project=${project}`, "--label", `com.docker.compose.volume=${key}`, volume]);
      volumes.push(volume);
      symlinkSync((await docker(["volume", "inspect", "-f", "{{.Mountpoint}}", volume])).trim(), join(root, volume));
      const name = uniqueName(`${project}-${service}`);
      const args = ["run", "-d", "--name", name, "--label", E2E_LABEL, "-v", `${volume}:/data`];
      for (const [k, v] of Object.entries({ "com.docker.compose.project": project, "com.docker.compose.service": service, ...hooks })) {
        args.push("--label", `${k}=${v}`);
      }
      await docker([...args, "backup-agent-test/debian:trixie", "sh", "-c", 'echo live > /data/live; trap "exit 0" TERM; while :; do sleep 0.2; done']);
      return { name, volume };
    };
    const files = await app("files", "files", {
      "backup-agent.hook.pre": "echo paused > /data/pre-marker",
      "backup-agent.hook.post": "echo resumed > /data/post-marker",
    });
    const queue = await app("queue", "queue", {
      "backup-agent.hook.pre": "echo 'queue is draining' >&2; exit 1",
      "backup-agent.hook.post": "echo resumed > /data/post-marker",
    });
    const repo = await newRepo("e2e-vhooks");

    const agent = new AgentProcess(["run", "backup"], baseEnv({ ...repo.env, BACKUP_COMPOSE_PROJECT: project, BACKUP_VOLUMES_ROOT: root }));
    const result = await agent.process;

    expect(result.exitCode).toBe(1);
    expect(agent.output).toContain(`volume ${queue.volume} was not backed up: pre-hook in container ${queue.name} exited 1: queue is draining`);
    expect(await snapshots(repo, "kind=volume", `target=${queue.volume}`)).toEqual([]);
    const [stored] = await snapshots(repo, "kind=volume", `target=${files.volume}`);
    expect(stored).toBeDefined();
    const { stdout } = await execa("restic", ["ls", "--quiet", stored?.id as string], { env: repo.env });
    const names = stdout.split("\n").map((p) => p.split("/").pop());
    expect(names).toContain("pre-marker");
    expect(names).toContain("live");
    expect(names).not.toContain("post-marker");
    for (const c of [files, queue]) {
      expect(await docker(["exec", c.name, "cat", "/data/post-marker"])).toBe("resumed");
    }
  });
});
