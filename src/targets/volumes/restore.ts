// Restore of volumes: a snapshot into a new or empty directory, or into the live volume, replacing its
// contents exactly while the containers that use it (and those labelled to stop) are stopped.
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { BackupError, UsageError } from "../../core/errors.js";
import type { ContainerControl, Engine } from "../../docker/engine.js";
import type { Snapshot } from "../../restic/repository.js";
import { findSnapshot, newestAtOrBefore } from "../../restic/select.js";
import { KIND } from "../../restic/tags.js";
import { NoBackupError, type RestorePlan, type RestoreRequest, type RestoreRun } from "../kind.js";
import type { VolumeTarget } from "./discover.js";
import { VOLUME_LABELS } from "./labels.js";
import { type Destination, dirDestination, type Helper, liveDestination, restoreInto } from "./destination.js";
import type { EngineRestoreDeps } from "./engine-restore.js";
import { withStopped } from "./stop-restart.js";

export interface VolumeRestoreDeps extends EngineRestoreDeps {
  engine: Engine & ContainerControl;
  root: string;
  /** The helper image restores through the engine use, when there is one (see destination.ts). */
  helper: () => Promise<Helper | undefined>;
}

interface Detail {
  snapshot: Snapshot;
  /** Where the files go: a new or empty directory, or the live volume. */
  dest: Destination;
  live: boolean;
  /** Running containers to stop while a live volume is replaced. */
  toStop: { id: string; name: string }[];
}

/** The volume snapshot for --snapshot, --at (newest at or before) or the newest. */
export function pickVolumeSnapshot(snapshots: readonly Snapshot[], volume: string, request: { snapshot?: string; at?: Date }): Snapshot {
  if (request.snapshot) {
    const s = findSnapshot(snapshots, request.snapshot);
    if (!s || s.tags.kind !== KIND.volume || s.tags.target !== volume) {
      throw new UsageError(`restore: no volume snapshot "${request.snapshot}" of "${volume}" (see backup-agent snapshots --target ${volume})`);
    }
    return s;
  }
  const s = newestAtOrBefore(snapshots, { kind: KIND.volume, target: volume }, request.at);
  if (!s) throw new NoBackupError(`restore: no backup of volume "${volume}"${request.at ? ` at or before ${request.at.toISOString()}` : ""}`, { target: volume });
  if (!s.paths[0]) throw new BackupError(`restore: snapshot ${s.id.slice(0, 8)} names no path`);
  return s;
}

/** Running containers to stop for a live restore: those mounting the volume, and those labelled to stop. */
async function containersToStop(engine: Engine & ContainerControl, project: string | undefined, volume: string) {
  const byId = new Map<string, { id: string; name: string }>();
  for (const c of await engine.listContainers(`${VOLUME_LABELS.stopDuringBackup}=true`, project)) {
    if (c.running) byId.set(c.id, { id: c.id, name: c.name });
  }
  for (const c of await engine.usersOf(volume)) byId.set(c.id, c);
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export async function planVolumeRestore(
  deps: VolumeRestoreDeps,
  request: RestoreRequest,
  target: VolumeTarget | undefined,
  snapshots: readonly Snapshot[],
  run: RestoreRun,
): Promise<RestorePlan> {
  const snapshot = pickVolumeSnapshot(snapshots, request.name, request);
  const label = `snapshot ${snapshot.id.slice(0, 8)} of ${snapshot.time.toISOString()}`;
  const base = { kind: KIND.volume, name: request.name, label, time: snapshot.time };
  if (request.to) {
    const dir = resolve(request.to);
    const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [];
      throw new BackupError(`restore: cannot read ${dir}`, { cause: error });
    });
    // Careful by design: never merge into or overwrite a directory that already holds something.
    if (entries.length > 0) throw new UsageError(`restore: ${dir} is not empty; give a new or empty directory to --to`);
    const dest = dirDestination(await deps.helper(), dir);
    const detail: Detail = { snapshot, dest, live: false, toStop: [] };
    return { ...base, lines: [`Restore volume "${request.name}" from ${label} into ${dir}${via(dest)}`], live: false, detail };
  }
  const dest = await liveDestination(await deps.helper(), request.name, target?.path ?? join(deps.root, request.name));
  const toStop = await containersToStop(deps.engine, run.scope.project, request.name);
  const lines = [
    `Live volume "${request.name}" (${dest.shown}) from ${label}: its contents are replaced exactly (files added since are removed)${via(dest)}.`,
    toStop.length ? `Stopped during the restore, then started again: ${toStop.map((c) => c.name).join(", ")}` : "No running container uses it.",
  ];
  const detail: Detail = { snapshot, dest, live: true, toStop };
  return { ...base, lines, live: true, detail };
}

export async function applyVolumeRestore(deps: VolumeRestoreDeps, plans: readonly RestorePlan[], run: RestoreRun): Promise<void> {
  const items = plans.map((p) => ({ name: p.name, ...(p.detail as Detail) }));
  const restoreOne = async (item: (typeof items)[number]) => {
    const s = await restoreInto(deps, item.dest, { name: item.name, snapshot: item.snapshot, exact: item.live }, run).catch((error: unknown) => {
      throw new BackupError(`volume "${item.name}": restore failed`, { target: item.name, cause: error });
    });
    run.say(
      item.live
        ? `restored volume ${item.name} (${s.filesRestored} files, ${s.bytesRestored} bytes)`
        : `restored volume ${item.name} into ${item.dest.shown} (${s.filesRestored} files, ${s.bytesRestored} bytes)`,
    );
  };
  for (const item of items.filter((i) => !i.live)) await restoreOne(item);
  const live = items.filter((i) => i.live);
  if (live.length === 0) return;
  const toStop = new Map(live.flatMap((i) => i.toStop).map((c) => [c.id, c]));
  await withStopped(deps.engine, [...toStop.values()], run, "the restore", async () => {
    for (const item of live) await restoreOne(item);
  });
}

/** How the files are written, for the plan. */
function via(dest: Destination): string {
  return dest.via === "engine" ? `, through a helper container of ${dest.image} that gives every file back its owner` : "";
}
