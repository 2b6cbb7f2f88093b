// Everything the volume step and `plan` need to know, read once: targets, project volumes, coverage.
import type { Engine, VolumeLister } from "../../docker/engine.js";
import { discoverExec } from "../exec/discover.js";
import { discoverMeilisearch } from "../meilisearch/discover.js";
import { discoverPostgres } from "../postgres/discover.js";
import { discoverVolumes, type VolumeDiscovery } from "./discover.js";
import { type Coverage, computeCoverage } from "./unprotected.js";

export interface VolumeScan extends VolumeDiscovery {
  coverage: Coverage;
}

export async function scanVolumes(
  engine: Engine & VolumeLister,
  project: string | undefined,
  volumes: { root: string; names: readonly string[] },
): Promise<VolumeScan> {
  const discovery = await discoverVolumes(engine, project, volumes.root, volumes.names);
  const containers = [
    ...(await discoverPostgres(engine, project)),
    ...(await discoverMeilisearch(engine, project, undefined)),
    ...(await discoverExec(engine, project)),
  ];
  const coverage = computeCoverage(
    discovery.projectVolumes,
    discovery.targets.map((t) => t.name),
    containers,
  );
  return { ...discovery, coverage };
}
