// The unprotected-volume report: metric and warning, on every run of the jobs that back things up.
import type { RunContext } from "../core/job.js";
import type { Engine, VolumeLister } from "../docker/engine.js";
import { resolveProject } from "../docker/project.js";
import type { CoverageMetrics } from "../report/coverage-metrics.js";
import { scanVolumes, type VolumeScan } from "../targets/volumes/scan.js";

export interface CoverageDeps {
  engine: Engine & VolumeLister;
  project: string | undefined;
  volumes: { root: string; names: readonly string[] };
  coverage: CoverageMetrics;
}

/** Sets the metrics and warns naming every unprotected volume. Returns the scan it made. */
export function reportCoverage(scan: VolumeScan, deps: CoverageDeps, ctx: Pick<RunContext, "log">): void {
  const { unprotected } = scan.coverage;
  deps.coverage.set(unprotected);
  if (unprotected.length === 0) return;
  ctx.log.warn(
    { unprotected, root: deps.volumes.root },
    `${unprotected.length} volume(s) of the project are not backed up by any target: ${unprotected.join(", ")} (mount them under ${deps.volumes.root}, or label them backup-agent.exclude=true)`,
  );
}

/** For jobs that do not back up volumes themselves: scan and report; a failed scan only warns. */
export async function scanAndReportCoverage(deps: CoverageDeps, ctx: Pick<RunContext, "log">): Promise<void> {
  try {
    const scope = await resolveProject(deps.engine, deps.project);
    reportCoverage(await scanVolumes(deps.engine, scope.project, deps.volumes), deps, ctx);
  } catch (error) {
    ctx.log.warn({ err: error }, "could not check the project's volumes for unprotected ones");
  }
}
