// The volume step of the `backup` job: report unprotected volumes, stop the labelled containers,
// back up every volume as its own snapshot, start the containers again. A failed volume never stops
// the others; the step fails naming each.
import { AggregateBackupError } from "../core/errors.js";
import type { RunContext } from "../core/job.js";
import { settleWithLimit } from "../core/limit.js";
import type { ContainerControl, Engine, VolumeLister } from "../docker/engine.js";
import { resolveProject } from "../docker/project.js";
import type { CoverageMetrics } from "../report/coverage-metrics.js";
import { backupVolume, type VolumeDeps } from "../targets/volumes/backup.js";
import { scanVolumes } from "../targets/volumes/scan.js";
import { withContainersStopped } from "../targets/volumes/stop-restart.js";
import { reportCoverage } from "./unprotected-report.js";

export interface VolumeStepDeps extends VolumeDeps {
  engine: Engine & VolumeLister & ContainerControl;
  project: string | undefined;
  concurrency: number;
  volumes: { root: string; names: readonly string[] };
  coverage: CoverageMetrics;
}

export async function backupVolumeTargets(deps: VolumeStepDeps, ctx: RunContext): Promise<void> {
  const scope = await resolveProject(deps.engine, deps.project);
  const scan = await scanVolumes(deps.engine, scope.project, deps.volumes);
  reportCoverage(scan, deps, ctx);
  ctx.log.info(
    { scope: scope.project ?? "*", volumes: scan.targets.map((t) => `${t.name} (${t.path})`) },
    `${scan.targets.length} volume(s) to back up`,
  );
  if (scan.targets.length === 0) return;
  const results = await withContainersStopped(deps.engine, scope.project, ctx, () =>
    settleWithLimit(scan.targets, deps.concurrency, (target) => backupVolume(target, deps, ctx)),
  );
  const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
  if (errors.length > 0) {
    throw new AggregateBackupError(`${errors.length} of ${scan.targets.length} volume(s) failed`, errors);
  }
}
