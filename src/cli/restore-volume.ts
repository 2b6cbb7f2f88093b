// `backup-agent restore volume <name> [--snapshot ID | --at TIME] (--to DIR | --into-volume) [--yes]`:
// a volume's snapshot restored into a new or empty directory, or into the live volume, replacing its
// contents exactly while the containers that use it are stopped.
import { mkdir, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { BackupError } from "../core/errors.js";
import { resolveProject } from "../docker/project.js";
import { runningUsersOf, type VolumeUser } from "../docker/volume-users.js";
import { ttyProgress } from "../restic/progress.js";
import { restoreSnapshot } from "../restic/restore.js";
import { listSnapshots, type Snapshot } from "../restic/snapshots.js";
import { VOLUME_LABELS } from "../targets/labels.js";
import { findSnapshot, newestAtOrBefore } from "../targets/postgres/manifest.js";
import { discoverVolumes, VOLUME_KIND } from "../targets/volumes/discover.js";
import { type LiveRestoreItem, restoreLiveVolumes, writableVolumeDir } from "../targets/volumes/live-restore.js";
import type { App } from "./app.js";
import { confirmRestore } from "./confirm.js";
import type { VolumeRestoreArgs } from "./restore-args.js";

const out = (line: string) => process.stdout.write(`${line}\n`);
const usage = (message: string) => new BackupError(message, { exitCode: 64 });

/** The volume snapshot for --snapshot, --at (newest at or before) or the newest. */
export function pickVolumeSnapshot(
  snapshots: readonly Snapshot[],
  volume: string,
  args: { snapshot?: string; at?: Date },
): Snapshot {
  if (args.snapshot) {
    const s = findSnapshot(snapshots, args.snapshot);
    if (!s || s.tags.kind !== VOLUME_KIND || s.tags.target !== volume)
      throw usage(
        `restore: no volume snapshot "${args.snapshot}" of "${volume}" (see backup-agent snapshots --target ${volume})`,
      );
    return s;
  }
  const s = newestAtOrBefore(snapshots, { kind: VOLUME_KIND, target: volume }, args.at);
  if (!s)
    throw new BackupError(
      `restore: no backup of volume "${volume}"${args.at ? ` at or before ${args.at.toISOString()}` : ""}`,
    );
  if (!s.paths[0]) throw new BackupError(`restore: snapshot ${s.id.slice(0, 8)} names no path`);
  return s;
}

/** Where the agent sees a live volume: its discovered directory, else <root>/<name>. */
export async function liveVolumePath(app: App, project: string | undefined, volume: string): Promise<string> {
  const { root, names } = app.config.volumes;
  const found = (await discoverVolumes(app.engine, project, root, names)).targets.find((t) => t.name === volume);
  return found?.path ?? join(root, volume);
}

/** Running containers to stop: those mounting any of the volumes, and those labelled to stop. */
export async function containersToStop(
  app: App,
  project: string | undefined,
  volumes: readonly string[],
): Promise<VolumeUser[]> {
  const byId = new Map<string, VolumeUser>();
  for (const c of await app.engine.listContainers(`${VOLUME_LABELS.stopDuringBackup}=true`, project)) {
    if (c.running) byId.set(c.id, { id: c.id, name: c.name });
  }
  for (const volume of volumes) {
    for (const c of await runningUsersOf(app.engine.docker, volume)) byId.set(c.id, c);
  }
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Restores into live volumes with progress on a TTY, printing one line per volume. */
export async function restoreIntoVolumes(
  app: App,
  items: readonly LiveRestoreItem[],
  toStop: readonly VolumeUser[],
  signal: AbortSignal,
): Promise<void> {
  const bars: ReturnType<typeof ttyProgress>[] = [];
  try {
    const done = await restoreLiveVolumes(app.repository.env, app.engine, items, toStop, {
      signal,
      log: app.logger,
      onProgress: (volume) => {
        const bar = ttyProgress(`restoring ${volume}`);
        bars.push(bar);
        return bar.enabled ? bar.update : undefined;
      },
    });
    for (const bar of bars) bar.done();
    for (const [volume, s] of done)
      out(`restored volume ${volume} (${s.filesRestored} files, ${s.bytesRestored} bytes; ${s.filesDeleted} removed)`);
  } finally {
    for (const bar of bars) bar.done();
  }
}

export async function restoreVolumeCommand(
  app: App,
  args: VolumeRestoreArgs,
  signal: AbortSignal,
): Promise<number> {
  const snapshots = await listSnapshots(app.repository.env, signal);
  const snapshot = pickVolumeSnapshot(snapshots, args.volume, args);
  const label = `snapshot ${snapshot.id.slice(0, 8)} of ${snapshot.time.toISOString()}`;
  if (args.to) {
    const dir = resolve(args.to);
    const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [];
      throw new BackupError(`restore: cannot read ${dir}: ${error.message}`, { cause: error });
    });
    // Careful by design: never merge into or overwrite a directory that already holds something.
    if (entries.length > 0)
      throw usage(`restore: ${dir} is not empty; give a new or empty directory to --to`);
    await mkdir(dir, { recursive: true });
    out(`Restore volume "${args.volume}" from ${label} into ${dir}`);
    const bar = ttyProgress(`restoring ${args.volume}`);
    const summary = await restoreSnapshot(
      app.repository.env,
      { snapshotId: snapshot.id, path: snapshot.paths[0] as string, target: dir, onProgress: bar.enabled ? bar.update : undefined },
      signal,
    ).finally(() => bar.done());
    out(`restored volume ${args.volume} into ${dir} (${summary.filesRestored} files, ${summary.bytesRestored} bytes)`);
    return 0;
  }
  const scope = await resolveProject(app.engine, app.config.targets.project);
  const path = await liveVolumePath(app, scope.project, args.volume);
  // A missing or read-only mount fails here, before anything is asked, stopped or touched.
  await writableVolumeDir(args.volume, path);
  const toStop = await containersToStop(app, scope.project, [args.volume]);
  out(`Restore live volume "${args.volume}" (${path}) from ${label}.`);
  out("Its contents are replaced by the snapshot's: files added since are removed.");
  out(toStop.length ? `Stopped during the restore, then started again: ${toStop.map((c) => c.name).join(", ")}` : "No running container uses it.");
  if (!(await confirmRestore(args.yes))) {
    out("Nothing was restored.");
    return 1;
  }
  await restoreIntoVolumes(app, [{ volume: args.volume, path, snapshot }], toStop, signal);
  return 0;
}
