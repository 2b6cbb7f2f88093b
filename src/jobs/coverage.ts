// Volumes of the project that nothing backs up: not a volume target, not the data volume of a
// database or search target, and not excluded by label. Each one is reported, never skipped quietly.
import type { RunContext } from "../core/job.js";
import type { ContainerInfo, VolumeInfo, VolumeLister } from "../docker/engine.js";
import type { CoverageMetrics } from "../report/coverage-metrics.js";
import { KIND } from "../restic/tags.js";
import type { Kind, Scope, Target } from "../targets/kind.js";
import { VOLUME_LABELS } from "../targets/volumes/labels.js";

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

/** Discovers every kind's targets in scope and computes what they cover of the project's volumes. */
export async function scanCoverage(
  kinds: readonly Kind[],
  engine: VolumeLister,
  scope: Scope,
  signal: AbortSignal,
): Promise<{ coverage: Coverage; targets: Map<string, Target[]> }> {
  const targets = new Map<string, Target[]>();
  for (const kind of kinds) targets.set(kind.name, await kind.discover(scope, signal));
  const all = [...targets.values()].flat();
  const coverage = computeCoverage(
    await engine.listVolumes(scope.project),
    all.filter((t) => t.kind === KIND.volume).map((t) => t.name),
    all.flatMap((t) => (t.container ? [{ kind: t.kind, name: t.name, container: t.container }] : [])),
  );
  return { coverage, targets };
}

/** Sets the metrics and warns naming every unprotected volume. */
export function reportCoverage(coverage: Coverage, metrics: CoverageMetrics, root: string, ctx: Pick<RunContext, "log">): void {
  const { unprotected } = coverage;
  metrics.set(unprotected);
  if (unprotected.length === 0) return;
  ctx.log.warn(
    { unprotected, root },
    `${unprotected.length} volume(s) of the project are not backed up by any target: ${unprotected.join(", ")} (mount them under ${root}, or label them backup-agent.exclude=true)`,
  );
}
