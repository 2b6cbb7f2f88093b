// The volume step of the `backup` job: report unprotected volumes, stop the labelled containers,
// back up every volume as its own snapshot, start the containers again. A failed volume never stops
// the others; the step fails naming each.
import { AggregateBackupError, BackupError } from "../core/errors.js";
import type { RunContext } from "../core/job.js";
import { settleWithLimit } from "../core/limit.js";
import type { ContainerControl, ContainerInfo, Engine, VolumeLister } from "../docker/engine.js";
import { resolveProject } from "../docker/project.js";
import type { CoverageMetrics } from "../report/coverage-metrics.js";
import { type ContainerHooks, describeHooks, runPostHooks, runPreHooks } from "../targets/hooks.js";
import { HOOK_LABELS } from "../targets/labels.js";
import { backupVolume, type VolumeDeps } from "../targets/volumes/backup.js";
import type { VolumeTarget } from "../targets/volumes/discover.js";
import { scanVolumes } from "../targets/volumes/scan.js";
import { withContainersStopped } from "../targets/volumes/stop-restart.js";
import { reportCoverage } from "./unprotected-report.js";

export interface VolumeStepDeps extends VolumeDeps {
  engine: Engine & VolumeLister & ContainerControl;
  project: string | undefined;
  concurrency: number;
  volumes: { root: string; names: readonly string[] };
  coverage: CoverageMetrics;
  hookTimeoutMs: number;
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
  const hooks = await volumeHooks(deps.engine, scope.project, scan.targets, deps.hookTimeoutMs);
  const errors: Error[] = [];
  try {
    // Each container's pre-hook guards only the volumes it mounts: one failing blocks only those.
    const blocked = new Map<string, Error>();
    for (const h of hooks) {
      const failure = await runPreHooks(deps.engine, [h.hooks], ctx);
      if (failure) for (const volume of h.volumes) if (!blocked.has(volume)) blocked.set(volume, failure);
    }
    for (const [volume, failure] of blocked) {
      errors.push(
        new BackupError(`volume ${volume} was not backed up: ${failure.message}`, { target: volume, cause: failure }),
      );
    }
    const todo = scan.targets.filter((t) => !blocked.has(t.name));
    if (todo.length > 0) {
      const results = await withContainersStopped(deps.engine, scope.project, ctx, () =>
        settleWithLimit(todo, deps.concurrency, (target) => backupVolume(target, deps, ctx)),
      );
      errors.push(...results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : [])));
    }
  } catch (error) {
    errors.push(error as Error);
  } finally {
    // After the containers run again: a post-hook resumes what the pre-hook paused.
    errors.push(...(await runPostHooks(deps.engine, hooks.map((h) => h.hooks), ctx.log)));
  }
  if (errors.length > 0) {
    throw new AggregateBackupError(`${errors.length} of ${scan.targets.length} volume(s) failed`, errors);
  }
}

/** Hooked containers in scope that mount a volume being backed up, with the volumes each guards. */
async function volumeHooks(
  engine: Engine,
  project: string | undefined,
  targets: readonly VolumeTarget[],
  timeoutMs: number,
): Promise<{ hooks: ContainerHooks; volumes: string[] }[]> {
  const byId = new Map<string, ContainerInfo>();
  for (const label of [HOOK_LABELS.pre, HOOK_LABELS.post]) {
    for (const c of await engine.listContainers(label, project)) byId.set(c.id, c);
  }
  const names = new Set(targets.map((t) => t.name));
  const out: { hooks: ContainerHooks; volumes: string[] }[] = [];
  for (const container of [...byId.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const volumes = (container.mounts ?? [])
      .filter((m) => m.type === "volume" && m.name !== undefined && names.has(m.name))
      .map((m) => m.name as string);
    const hooks = describeHooks(container, timeoutMs);
    if (hooks && volumes.length > 0) out.push({ hooks, volumes });
  }
  return out;
}
