// Where a volume restore writes, and how. Through the engine (a root helper with the volume or the
// directory mounted) whenever the agent knows a helper image: its own container's, or
// BACKUP_HELPER_IMAGE; then owners, modes and times come back exactly, whatever uid the agent runs
// as. Without one (the agent run on the host without that setting), restic restores directly, which
// gives files back their owners only when the agent runs as root.
import { mkdir } from "node:fs/promises";
import { BackupError } from "../../core/errors.js";
import type { MountInfo } from "../../docker/engine.js";
import { mountHolding } from "../../docker/mounts.js";
import type { ThrowawayMount } from "../../docker/sandbox.js";
import type { RestoreSummary, Snapshot } from "../../restic/repository.js";
import type { RestoreRun } from "../kind.js";
import { type EngineRestoreDeps, restoreThroughEngine } from "./engine-restore.js";
import { writableVolumeDir } from "./live-restore.js";

/** What restores through the engine need: the helper's image, and the agent's own mounts when it runs in a container. */
export interface Helper {
  image: string;
  /** The agent container's mounts, or undefined when the agent runs on the host. */
  ownMounts: MountInfo[] | undefined;
}

export type Destination =
  | { via: "engine"; image: string; mount: ThrowawayMount; dir: string; shown: string }
  | { via: "restic"; dir: string; shown: string };

/** A live volume: the helper mounts the volume itself, so the agent's own mount of it may be read-only. */
export async function liveDestination(helper: Helper | undefined, volume: string, path: string): Promise<Destination> {
  if (helper) return { via: "engine", image: helper.image, mount: { type: "volume", source: volume, target: "/target" }, dir: "/target", shown: `volume ${volume}` };
  // A missing or read-only mount fails here, before anything is asked, stopped or touched.
  return { via: "restic", dir: await writableVolumeDir(volume, path), shown: path };
}

/** A new or empty directory: in a container, on one of its mounts; on the host, the path itself. */
export function dirDestination(helper: Helper | undefined, dir: string): Destination {
  if (!helper) return { via: "restic", dir, shown: dir };
  if (!helper.ownMounts) return { via: "engine", image: helper.image, mount: { type: "bind", source: dir, target: "/target" }, dir: "/target", shown: dir };
  const covering = mountHolding(helper.ownMounts, dir, { writable: true });
  if (!covering) {
    throw new BackupError(
      `restore: ${dir} is not on a read-write mount of the agent's container, so the restored files would go with the container: give a directory on a mounted volume or bind mount`,
    );
  }
  const mount: ThrowawayMount = covering.type === "volume" && covering.name
    ? { type: "volume", source: covering.name, target: covering.destination }
    : { type: "bind", source: covering.source ?? covering.destination, target: covering.destination };
  return { via: "engine", image: helper.image, mount, dir, shown: dir };
}

/** Restores the snapshot's tree into the destination (exactly: removing what it does not hold). */
export async function restoreInto(
  deps: EngineRestoreDeps,
  dest: Destination,
  item: { name: string; snapshot: Snapshot; exact: boolean },
  run: RestoreRun,
): Promise<RestoreSummary> {
  if (dest.via === "engine") {
    if (dest.mount.type === "bind" || !item.exact) await mkdir(dest.mount.type === "bind" ? dest.mount.source : dest.dir, { recursive: true }).catch(() => undefined);
    return restoreThroughEngine(deps, { ...item, image: dest.image, mount: dest.mount, dir: dest.dir }, run);
  }
  if (!item.exact) await mkdir(dest.dir, { recursive: true });
  const path = item.snapshot.paths[0] as string;
  return run.repository.restore({ snapshotId: item.snapshot.id, path, target: dest.dir, exact: item.exact, onProgress: run.progress(item.name) }, run.signal);
}
