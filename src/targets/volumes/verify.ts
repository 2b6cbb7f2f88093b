// Restore-verify of one volume: its newest snapshot is restored (restic --verify reads the files back)
// into a temp dir named after the run, and what was restored is counted against the snapshot's own
// listing. The temp dir is always removed; a failed removal is joined to the result.
import { rm } from "node:fs/promises";
import { withCleanup } from "../../core/cleanup.js";
import { BackupError } from "../../core/errors.js";
import { makeVerifyDir } from "../../docker/reap-dirs.js";
import type { Snapshot } from "../../restic/repository.js";
import { newestAtOrBefore } from "../../restic/select.js";
import { KIND } from "../../restic/tags.js";
import type { KindRun, VerifyPart } from "../kind.js";
import { describeVolume } from "./backup.js";
import { compareCounts, countDirectory } from "./tree.js";

export async function verifyVolume(name: string, snapshots: readonly Snapshot[], run: KindRun): Promise<VerifyPart[]> {
  const what = describeVolume(name);
  const fail = (message: string, cause?: unknown) => new BackupError(`${what}: ${message}`, { target: name, cause });
  const snapshot = newestAtOrBefore(snapshots, { kind: KIND.volume, target: name });
  if (!snapshot) throw fail("no backup to verify (no volume snapshot in the repository)");
  const path = snapshot.paths[0];
  if (!path) throw fail(`snapshot ${snapshot.id.slice(0, 8)} names no path`);
  const short = snapshot.id.slice(0, 8);
  const dir = await makeVerifyDir(run.runId, name);
  return withCleanup(
    what,
    async () => {
      run.log.info({ target: name, snapshot: short, dir }, `restoring volume ${name} into ${dir}`);
      const stored = await run.repository.countTree(snapshot.id, path, run.signal).catch((error: unknown) => {
        throw fail(`cannot list snapshot ${short}`, error);
      });
      await run.repository.restore({ snapshotId: snapshot.id, path, target: dir, verify: true }, run.signal).catch((error: unknown) => {
        throw fail(`snapshot ${short} does not restore`, error);
      });
      const restored = await countDirectory(dir, run.signal);
      const problem = compareCounts(stored, restored);
      if (problem) return [{ database: "", ok: false, problem: `snapshot ${short}: ${problem}` }];
      run.log.info({ target: name, snapshot: short, files: restored.files, bytes: restored.bytes, dirs: restored.dirs }, `verified volume ${name}`);
      return [{ database: "", ok: true }];
    },
    () =>
      rm(dir, { recursive: true, force: true }).catch((error: unknown) => {
        throw fail(`removing ${dir}`, error);
      }),
  );
}
