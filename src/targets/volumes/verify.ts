// Restore-verify of one volume: its newest snapshot is restored (restic --verify reads the files back)
// into a temp dir named after the run, and what was restored is counted against the snapshot's own
// listing. The temp dir is always removed; a failed removal is joined to the result.
import { rm } from "node:fs/promises";
import type { Logger } from "pino";
import { AggregateBackupError, BackupError } from "../../core/errors.js";
import { makeVerifyDir } from "../../docker/reap-dirs.js";
import type { ResticEnv } from "../../restic/command.js";
import { countSnapshotTree } from "../../restic/ls.js";
import { restoreSnapshot } from "../../restic/restore.js";
import type { Snapshot } from "../../restic/snapshots.js";
import { newestAtOrBefore } from "../postgres/manifest.js";
import { VOLUME_KIND } from "./discover.js";
import { compareCounts, countDirectory } from "./tree.js";

export interface VolumeVerifyRun {
  runId: string;
  signal: AbortSignal;
  log: Logger;
}

export async function verifyVolume(
  name: string,
  env: ResticEnv,
  snapshots: readonly Snapshot[],
  run: VolumeVerifyRun,
): Promise<void> {
  const fail = (message: string, cause?: unknown) =>
    new BackupError(`volume "${name}": ${message}`, { target: name, cause });
  const snapshot = newestAtOrBefore(snapshots, { kind: VOLUME_KIND, target: name });
  if (!snapshot) throw fail("no backup to verify (no volume snapshot in the repository)");
  const path = snapshot.paths[0];
  if (!path) throw fail(`snapshot ${snapshot.id.slice(0, 8)} names no path`);
  const short = snapshot.id.slice(0, 8);
  const dir = await makeVerifyDir(run.runId, name);
  let mainError: unknown;
  try {
    run.log.info({ target: name, snapshot: short, dir }, `restoring volume ${name} into ${dir}`);
    const stored = await countSnapshotTree(env, snapshot.id, path, run.signal).catch((error: unknown) => {
      throw fail(`cannot list snapshot ${short}: ${(error as Error).message}`, error);
    });
    await restoreSnapshot(env, { snapshotId: snapshot.id, path, target: dir, verify: true }, run.signal).catch(
      (error: unknown) => {
        throw fail(`snapshot ${short} does not restore: ${(error as Error).message}`, error);
      },
    );
    const restored = await countDirectory(dir, run.signal);
    const problem = compareCounts(stored, restored);
    if (problem) throw fail(`snapshot ${short}: ${problem}`);
    run.log.info(
      { target: name, snapshot: short, files: restored.files, bytes: restored.bytes, dirs: restored.dirs },
      `verified volume ${name}`,
    );
  } catch (error) {
    mainError = error;
  } finally {
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (cleanup) {
      const removal = fail(`removing ${dir}: ${(cleanup as Error).message}`, cleanup);
      mainError = mainError
        ? new AggregateBackupError(`volume "${name}"`, [mainError as Error, removal])
        : removal;
    }
  }
  if (mainError) {
    throw mainError instanceof BackupError && mainError.target
      ? mainError
      : fail((mainError as Error).message, mainError);
  }
}
