// verify beyond PostgreSQL: a volume's newest snapshot is restored into a temp dir and counted, a
// Meilisearch snapshot is read back against its recorded checksum, and the repository is checked;
// a volume whose data is gone from the repository fails naming it.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { baseEnv , runAgent } from "./support/daemon.js";
import { docker, removeTestContainers, uniqueName } from "./support/docker.js";
import { createNetwork, ensureMeiliDoubleImage, startMeili } from "./support/meili.js";
import { PingRecorder } from "./support/recorder.js";
import { newRepo } from "./support/restic.js";
import { createProjectVolume, removeTestVolumes, verifyDirsOf } from "./support/volumes.js";

const recorder = new PingRecorder();
let hc = "";
let network = "";
beforeAll(async () => {
  hc = await recorder.start();
  await ensureMeiliDoubleImage();
  network = await createNetwork("e2e-verify-vol-net");
});
afterAll(async () => {
  await recorder.stop();
  await removeTestContainers();
  if (network) await docker(["network", "rm", network]).catch(() => undefined);
  await removeTestVolumes();
});

/** The largest pack file of a local repository: with one 12 MB random file, the volume's data. */
function largestPack(repo: string): string {
  const packs: { path: string; size: number }[] = [];
  for (const sub of readdirSync(join(repo, "data"))) {
    for (const name of readdirSync(join(repo, "data", sub))) {
      const path = join(repo, "data", sub, name);
      packs.push({ path, size: statSync(path).size });
    }
  }
  return packs.sort((a, b) => b.size - a.size)[0]?.path as string;
}

describe("verify of volumes and Meilisearch", () => {
  it("passes with a volume and a Meilisearch target, then fails naming the volume when its data is gone", async () => {
    const project = uniqueName("e2e-verify-vol");
    const root = mkdtempSync(join(tmpdir(), "e2e-verify-vol-root-"));
    const { name: volume, dir } = await createProjectVolume(project, "uploads", root);
    writeFileSync(join(dir, "big.bin"), randomBytes(12 * 1024 * 1024));
    mkdirSync(join(dir, "a/b"), { recursive: true });
    writeFileSync(join(dir, "a/b/note.txt"), "hello\n");
    writeFileSync(join(dir, "empty"), "");
    await startMeili({ project, service: "search", network, env: { MEILI_MASTER_KEY: "k-0123456789abcdef" } });
    const repo = await newRepo("e2e-verify-vol");
    const env = baseEnv({
      ...repo.env,
      BACKUP_COMPOSE_PROJECT: project,
      BACKUP_VOLUMES_ROOT: root,
      BACKUP_MEILI_POLL_INTERVAL: "200ms",
      BACKUP_HC_VERIFY_URL: `${hc}/verify-${project}`,
    });
    const run = (...args: string[]) => runAgent(args, env);

    const backup = await run("run", "backup");
    expect(backup.exitCode, backup.output).toBe(0);

    const good = await run("run", "verify");
    expect(good.exitCode, good.output).toBe(0);
    expect(good.output).toContain(`verified volume ${volume}`);
    expect(good.output).toContain("verified meilisearch search");
    expect(good.output).toContain("repository check passed");
    expect(verifyDirsOf(tmpdir(), good.runId)).toEqual([]);

    unlinkSync(largestPack(repo.path));
    const bad = await run("run", "verify");
    expect(bad.exitCode, bad.output).toBe(1);
    expect(verifyDirsOf(tmpdir(), bad.runId)).toEqual([]);
    await vi.waitFor(() => {
      const fail = recorder.forCheck(`verify-${project}`).find((p) => p.kind === "fail" && p.rid === bad.runId);
      expect(fail?.body).toContain(`volume "${volume}": snapshot`);
      expect(fail?.body).toContain("does not restore");
      expect(fail?.body).toMatch(/first error: \/\S+: /);
      // restic check sees the missing pack too, and says so in the same body.
      expect(fail?.body).toMatch(/repository .*restic check --read-data-subset=5% failed/);
      // The Meilisearch snapshot is intact and is not blamed.
      expect(fail?.body).not.toContain('meilisearch target "search"');
    });
  });
});
