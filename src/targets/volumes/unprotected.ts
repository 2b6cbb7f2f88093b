// Volumes of the project that nothing backs up: not a volume target, not the data volume of a
// database or search target, and not excluded by label. Each one is reported, never skipped quietly.
import type { ContainerInfo, VolumeInfo } from "../../docker/engine.js";
import { VOLUME_LABELS } from "../labels.js";

export interface Coverage {
  /** Volumes nothing covers, sorted. */
  unprotected: string[];
  /** Volumes labelled backup-agent.exclude=true, sorted. */
  excluded: string[];
  /** Volume name → what covers it ("volume target", "data of postgres target db"). */
  covered: Record<string, string>;
}

export function computeCoverage(
  projectVolumes: readonly VolumeInfo[],
  volumeTargets: readonly string[],
  targetContainers: readonly { kind: string; name: string; container: Pick<ContainerInfo, "mounts"> }[],
): Coverage {
  const covered: Record<string, string> = {};
  for (const name of volumeTargets) covered[name] = "volume target";
  for (const target of targetContainers) {
    for (const mount of target.container.mounts ?? []) {
      if (mount.type === "volume" && mount.name && !(mount.name in covered)) {
        covered[mount.name] = `data of ${target.kind} target ${target.name}`;
      }
    }
  }
  const unprotected: string[] = [];
  const excluded: string[] = [];
  for (const volume of projectVolumes) {
    if (volume.name in covered) continue;
    if (volume.labels[VOLUME_LABELS.exclude] === "true") excluded.push(volume.name);
    else unprotected.push(volume.name);
  }
  return { unprotected: unprotected.sort(), excluded: excluded.sort(), covered };
}
