// One volume: its directory must exist and hold something, then `restic backup` of it as its own
// snapshot. A missing or empty directory is how a volume silently went unbacked: it fails, by name.
import { readdir, realpath, stat } from "node:fs/promises";
import type { Logger } from "pino";
import { BackupError } from "../../core/errors.js";
import type { TargetMetrics } from "../../report/target-metrics.js";
import { backupPath, type PathBackupResult } from "../../restic/path-backup.js";
import type { ResticRepository } from "../../restic/repository.js";
import { identityTags } from "../../restic/tags.js";
import { VOLUME_KIND, type VolumeTarget } from "./discover.js";

export interface VolumeDeps {
  repository: ResticRepository;
  host: string;
  metrics: TargetMetrics;
}

export interface RunInfo {
  runId: string;
  signal: AbortSignal;
  log: Logger;
}

/** The directory restic reads: the real path (a symlinked mount is followed once, here), checked. */
export async function readableVolumePath(target: VolumeTarget): Promise<string> {
  const fail = (message: string, cause?: unknown) =>
    new BackupError(`volume "${target.name}": ${message}`, { target: target.name, cause });
  let real: string;
  try {
    real = await realpath(target.path);
    if (!(await stat(real)).isDirectory()) throw fail(`${target.path} is not a directory`);
  } catch (error) {
    if (error instanceof BackupError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw code === "ENOENT"
      ? fail(`${target.path} does not exist: mount the volume read-only into the agent there`, error)
      : fail(`cannot read ${target.path} (${code ?? (error as Error).message})`, error);
  }
  if ((await readdir(real)).length === 0) {
    throw fail(`${target.path} is empty: is the right volume mounted there?`);
  }
  return real;
}

export async function backupVolume(
  target: VolumeTarget,
  deps: VolumeDeps,
  run: RunInfo,
): Promise<PathBackupResult> {
  const started = performance.now();
  const key = { kind: VOLUME_KIND, target: target.name, database: "" };
  try {
    const path = await readableVolumePath(target);
    const tags = identityTags({ kind: VOLUME_KIND, target: target.name, run: run.runId });
    const result = await backupPath(deps.repository.env, path, { tags, host: deps.host }, run.signal).catch(
      (error: unknown) => {
        throw new BackupError(`volume "${target.name}": ${(error as Error).message}`, {
          target: target.name,
          cause: error,
        });
      },
    );
    const seconds = (performance.now() - started) / 1000;
    deps.metrics.success(key, new Date(), result.totalBytes, seconds);
    run.log.info(
      {
        target: target.name,
        path,
        snapshot: result.snapshotId.slice(0, 8),
        bytes: result.totalBytes,
        files: result.totalFiles,
        added: result.dataAdded,
        seconds: Number(seconds.toFixed(3)),
      },
      `stored volume ${target.name}`,
    );
    return result;
  } catch (error) {
    deps.metrics.failure(key);
    run.log.error({ target: target.name, err: error }, `volume ${target.name} failed`);
    throw error;
  }
}
