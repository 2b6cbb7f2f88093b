// What the volume backups run inside: the pre-hooks of the containers that mount them (each guards
// only the volumes it mounts), the containers labelled backup-agent.stop-during-backup stopped, and
// afterwards, whatever happened, those containers started again and the post-hooks run.
import type { Logger } from "pino";
import { BackupError } from "../../core/errors.js";
import { settleWithLimit } from "../../core/limit.js";
import type { ContainerControl, ContainerInfo, Engine } from "../../docker/engine.js";
import { type ContainerHooks, describeHooks, runPostHooks, runPreHooks } from "../hooks.js";
import { HOOK_LABELS } from "../labels.js";
import type { Scope } from "../kind.js";
import type { VolumeTarget } from "./discover.js";
import { withContainersStopped } from "./stop-restart.js";

export interface VolumeGuardDeps {
  engine: Engine & ContainerControl;
  hookTimeoutMs: number;
}

export async function guardVolumes(
  deps: VolumeGuardDeps,
  targets: readonly VolumeTarget[],
  concurrency: number,
  run: { signal: AbortSignal; log: Logger; scope: Scope },
  each: (target: VolumeTarget) => Promise<void>,
): Promise<Error[]> {
  if (targets.length === 0) return [];
  const hooks = await volumeHooks(deps.engine, run.scope.project, targets, deps.hookTimeoutMs);
  const errors: Error[] = [];
  try {
    // Each container's pre-hook guards only the volumes it mounts: one failing blocks only those.
    const blocked = new Map<string, Error>();
    for (const h of hooks) {
      const failure = await runPreHooks(deps.engine, [h.hooks], run);
      if (failure) for (const volume of h.volumes) if (!blocked.has(volume)) blocked.set(volume, failure);
    }
    for (const [volume, failure] of blocked) {
      errors.push(new BackupError(`volume ${volume} was not backed up`, { target: volume, cause: failure }));
    }
    const todo = targets.filter((t) => !blocked.has(t.name));
    if (todo.length > 0) {
      const results = await withContainersStopped(deps.engine, run.scope.project, run, () => settleWithLimit(todo, concurrency, each));
      errors.push(...results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : [])));
    }
  } catch (error) {
    errors.push(error as Error);
  } finally {
    // After the containers run again: a post-hook resumes what the pre-hook paused.
    errors.push(...(await runPostHooks(deps.engine, hooks.map((h) => h.hooks), run.log)));
  }
  return errors;
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
