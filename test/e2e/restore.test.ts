// Restore on the real engine: a live volume is brought back to exactly its snapshot while the
// containers using it are stopped and started again; `restore all --at` brings databases and volumes
// back to the first of two backup runs.
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { baseEnv, runAgent } from "./support/daemon.js";
import { removeTestContainers, startIdleContainer, startPostgres, tableDigests, uniqueName } from "./support/docker.js";
import { newRepo, type TestRepo } from "./support/restic.js";
import {
  containerState,
  createProjectVolume,
  digestTree,
  removeTestVolumes,
} from "./support/volumes.js";

afterAll(async () => {
  await removeTestContainers();
  await removeTestVolumes();
});

function agentRunner(repo: TestRepo, project: string, root: string) {
  return (...args: string[]) => runAgent(args, baseEnv({ ...repo.env, BACKUP_COMPOSE_PROJECT: project, BACKUP_VOLUMES_ROOT: root }));
}

/** Files of several kinds: nested, empty, a private key, an executable, a symlink, a name with a space. */
function fill(dir: string): void {
  writeFileSync(join(dir, "small.txt"), "hello\n");
  writeFileSync(join(dir, "big.bin"), randomBytes(2 * 1024 * 1024));
  writeFileSync(join(dir, "empty"), "");
  mkdirSync(join(dir, "nested/deeper"), { recursive: true });
  writeFileSync(join(dir, "nested/deeper/secret key.pem"), randomBytes(2048));
  chmodSync(join(dir, "nested/deeper/secret key.pem"), 0o600);
  writeFileSync(join(dir, "run.sh"), "#!/bin/sh\necho hi\n");
  chmodSync(join(dir, "run.sh"), 0o755);
  symlinkSync("small.txt", join(dir, "link"));
}

/** Changes after the backup: a modified file, a deleted one, a new file and a new directory. */
function change(dir: string): void {
  writeFileSync(join(dir, "small.txt"), "changed after the backup\n");
  unlinkSync(join(dir, "run.sh"));
  rmSync(join(dir, "nested/deeper"), { recursive: true });
  writeFileSync(join(dir, "added-later.txt"), "new\n");
  mkdirSync(join(dir, "new-dir"));
  writeFileSync(join(dir, "new-dir/x"), randomBytes(1000));
}

describe("restore volume", () => {
  it("replaces a live volume's contents with exactly the snapshot's and starts its containers again", async () => {
    const project = uniqueName("e2e-restore-vol");
    const root = mkdtempSync(join(tmpdir(), "e2e-restore-vol-root-"));
    const { name: volume, dir } = await createProjectVolume(project, "uploads", root);
    fill(dir);
    const labelled = await startIdleContainer(project, "app", { volume, labels: { "backup-agent.stop-during-backup": "true" } });
    const user = await startIdleContainer(project, "worker", { volume });
    const repo = await newRepo("e2e-restore-vol");
    const agent = agentRunner(repo, project, root);
    const backup = await agent("run", "backup");
    expect(backup.exitCode, backup.output).toBe(0);
    const snapshotted = digestTree(dir);

    change(dir);
    expect(digestTree(dir)).not.toEqual(snapshotted);
    const changed = digestTree(dir);
    const before = { app: await containerState(labelled), worker: await containerState(user) };

    const refused = await agent("restore", "volume", volume, "--into-volume");
    expect(refused.exitCode, refused.output).toBe(64);
    expect(refused.output).toContain("pass --yes");
    expect(digestTree(dir)).toEqual(changed);

    const restored = await agent("restore", "volume", volume, "--into-volume", "--yes");
    expect(restored.exitCode, restored.output).toBe(0);
    expect(restored.output).toContain(`restored volume ${volume}`);
    expect(digestTree(dir)).toEqual(snapshotted);
    // Both were stopped for the restore (the labelled one and the one that only mounts the volume)
    // and run again: Docker records a new start time.
    for (const [name, was] of [
      [labelled, before.app],
      [user, before.worker],
    ] as const) {
      const now = await containerState(name);
      expect(now.running).toBe(true);
      expect(now.startedAt).not.toBe(was.startedAt);
    }

    // --to: a new directory receives the same files; a non-empty one is refused and left alone.
    const target = join(mkdtempSync(join(tmpdir(), "e2e-restore-to-")), "out");
    const into = await agent("restore", "volume", volume, "--to", target);
    expect(into.exitCode, into.output).toBe(0);
    expect(digestTree(target)).toEqual(snapshotted);
    const busy = await agent("restore", "volume", volume, "--to", target);
    expect(busy.exitCode).toBe(64);
    expect(busy.output).toContain("is not empty");
  });
});

describe("restore all --at", () => {
  it("brings two databases and a volume back to the first of two backup runs", async () => {
    const project = uniqueName("e2e-restore-at");
    const root = mkdtempSync(join(tmpdir(), "e2e-restore-at-root-"));
    const { name: volume, dir } = await createProjectVolume(project, "media", root);
    fill(dir);
    const pg = await startPostgres({ major: 17, project, service: "db" });
    await pg.psql(
      "CREATE DATABASE shop; CREATE TABLE events (id int PRIMARY KEY, note text); INSERT INTO events SELECT i, md5(i::text) FROM generate_series(1, 3000) i;",
    );
    await pg.psql(
      "CREATE TABLE orders (id int PRIMARY KEY, total numeric); INSERT INTO orders SELECT i, i * 1.5 FROM generate_series(1, 800) i;",
      "shop",
    );
    const repo = await newRepo("e2e-restore-at");
    const agent = agentRunner(repo, project, root);
    const first = await agent("run", "backup");
    expect(first.exitCode, first.output).toBe(0);
    const atFirst = {
      appdb: await tableDigests(pg, "appdb"),
      shop: await tableDigests(pg, "shop"),
      volume: digestTree(dir),
    };
    const between = new Date().toISOString();
    await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(Date.parse(between) + 1000), {
      timeout: 5_000,
      interval: 100,
    });
    await pg.psql("DELETE FROM events WHERE id > 2000; UPDATE events SET note = 'second run' WHERE id < 10;");
    await pg.psql("UPDATE orders SET total = 0; INSERT INTO orders VALUES (5000, 1);", "shop");
    change(dir);
    const second = await agent("run", "backup");
    expect(second.exitCode, second.output).toBe(0);
    await pg.psql("TRUNCATE events;");
    writeFileSync(join(dir, "after-both.txt"), "x");
    expect(digestTree(dir)).not.toEqual(atFirst.volume);

    const restore = await agent("restore", "all", "--at", between, "--yes");
    expect(restore.exitCode, restore.output).toBe(0);
    expect(await tableDigests(pg, "appdb")).toEqual(atFirst.appdb);
    expect(await tableDigests(pg, "shop")).toEqual(atFirst.shop);
    expect(digestTree(dir)).toEqual(atFirst.volume);
    expect(restore.output).toContain(`restored volume ${volume}`);

    const tooEarly = await agent("restore", "all", "--at", "2000-01-01T00:00:00Z", "--yes");
    expect(tooEarly.exitCode).toBe(1);
    expect(tooEarly.output).toContain("no backup at or before 2000-01-01T00:00:00.000Z");
  });
});
