// Which volumes the volume step backs up: the Compose project's volumes mounted under the root, plus
// the ones named in BACKUP_VOLUMES (which must be there). The rest of the project's are for the report.
import { access } from "node:fs/promises";
import { join } from "node:path";
import type { VolumeInfo, VolumeLister } from "../../docker/engine.js";
import { KIND } from "../../restic/tags.js";

export interface VolumeTarget {
  kind: typeof KIND.volume;
  /** The Docker volume name: the target's name in tags and metrics. */
  name: string;
  /** Where the agent reads it: <root>/<name>, or <root>/<compose volume key> for a project volume. */
  path: string;
  /** Why it is backed up. */
  source: "project" | "BACKUP_VOLUMES";
  problems: string[];
}

export interface VolumeDiscovery {
  targets: VolumeTarget[];
  /** Every volume of the project in scope, mounted or not. */
  projectVolumes: VolumeInfo[];
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * A project volume is backed up when it is mounted under the root by its full name
 * (`myproj_pgdata`) or by its Compose key (`pgdata`). A name in BACKUP_VOLUMES is always a target:
 * when its directory is missing, the backup of it fails and says so.
 */
export async function discoverVolumes(
  engine: VolumeLister,
  project: string | undefined,
  root: string,
  configured: readonly string[],
): Promise<VolumeDiscovery> {
  const projectVolumes = await engine.listVolumes(project);
  const targets = new Map<string, VolumeTarget>();
  for (const volume of projectVolumes) {
    const key = volume.labels["com.docker.compose.volume"];
    for (const dir of [volume.name, ...(key ? [key] : [])]) {
      if (await exists(join(root, dir))) {
        targets.set(volume.name, { kind: KIND.volume, name: volume.name, path: join(root, dir), source: "project", problems: [] });
        break;
      }
    }
  }
  for (const name of configured) {
    if (!targets.has(name)) {
      targets.set(name, { kind: KIND.volume, name, path: join(root, name), source: "BACKUP_VOLUMES", problems: [] });
    }
  }
  const sorted = [...targets.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { targets: sorted, projectVolumes };
}
