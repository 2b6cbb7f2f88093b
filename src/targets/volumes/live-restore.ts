// Restore into live volumes: the containers that mount them (and those labelled
// backup-agent.stop-during-backup) are stopped first and started again in `finally`, even on failure;
// each volume's contents are then replaced exactly by its snapshot's (`restic restore --delete`).
import { access, constants, realpath } from "node:fs/promises";
import type { Logger } from "pino";
import { AggregateBackupError, BackupError } from "../../core/errors.js";
import type { ContainerControl } from "../../docker/engine.js";
import type { VolumeUser } from "../../docker/volume-users.js";
import type { ResticEnv } from "../../restic/command.js";
import type { Progress } from "../../restic/progress.js";
import { type RestoreSummary, restoreSnapshot } from "../../restic/restore.js";
import type { Snapshot } from "../../restic/snapshots.js";
import { startAgain } from "./stop-restart.js";


export interface LiveRestoreItem {
  volume: string;
  /** <root>/<name> as the agent sees it. */
  path: string;
  snapshot: Snapshot;
}

/** The real, writable directory of a live volume; fails naming the volume when it is not. */
export async function writableVolumeDir(volume: string, path: string): Promise<string> {
  const fail = (message: string, cause?: unknown) =>
    new BackupError(`volume "${volume}": ${message}`, { target: volume, cause });
  let real: string;
  try {
    real = await realpath(path);
  } catch (error) {
    throw fail(`${path} does not exist: mount the volume into the agent there to restore into it`, error);
  }
  try {
    await access(real, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(
      code === "EROFS"
        ? `${path} is mounted read-only: mount it read-write (without :ro) to restore into it`
        : `${path} is not writable (${code ?? (error as Error).message})`,
      error,
    );
  }
  return real;
}

export async function restoreLiveVolumes(
  env: ResticEnv,
  engine: ContainerControl,
  items: readonly LiveRestoreItem[],
  toStop: readonly VolumeUser[],
  run: { signal: AbortSignal; log: Logger; onProgress?: (volume: string) => ((p: Progress) => void) | undefined },
): Promise<Map<string, RestoreSummary>> {
  const dirs = new Map<string, string>();
  for (const item of items) dirs.set(item.volume, await writableVolumeDir(item.volume, item.path));
  const stopped: VolumeUser[] = [];
  const done = new Map<string, RestoreSummary>();
  let mainError: unknown;
  try {
    for (const container of toStop) {
      // Registered before the stop call: a stop that fails half-way is still started again.
      stopped.push(container);
      await engine.stop(container.id, run.signal).catch((error: unknown) => {
        throw new BackupError(`cannot stop container ${container.name} before the restore`, {
          target: container.name,
          cause: error,
        });
      });
      run.log.info({ container: container.name }, `stopped ${container.name} for the restore`);
    }
    for (const item of items) {
      const summary = await restoreSnapshot(
        env,
        {
          snapshotId: item.snapshot.id,
          path: item.snapshot.paths[0] as string,
          target: dirs.get(item.volume) as string,
          exact: true,
          onProgress: run.onProgress?.(item.volume),
        },
        run.signal,
      ).catch((error: unknown) => {
        throw new BackupError(`volume "${item.volume}": restore failed: ${(error as Error).message}`, {
          target: item.volume,
          cause: error,
        });
      });
      done.set(item.volume, summary);
    }
  } catch (error) {
    mainError = error;
  } finally {
    const errors = await startAgain(engine, stopped, run.log, "the restore");
    if (errors.length) {
      mainError = new AggregateBackupError(
        mainError ? "restore, then restarting containers" : "restarting containers after the restore",
        [...(mainError ? [mainError as Error] : []), ...errors],
      );
    }
  }
  if (mainError) throw mainError;
  return done;
}

