// One step's targets under the concurrency limit, each guarded by its own container's hooks, and
// each failure counted and logged. The step decides what the failures add up to.
import type { RunContext } from "../core/job.js";
import { settleWithLimit } from "../core/limit.js";
import type { ContainerInfo, Engine } from "../docker/engine.js";
import type { TargetMetrics } from "../report/target-metrics.js";
import { withContainerHooks } from "../targets/hooks.js";

export function backupEachTarget<T extends { name: string; container: ContainerInfo }>(
  deps: { engine: Pick<Engine, "execText">; hookTimeoutMs: number; concurrency: number; metrics: TargetMetrics },
  ctx: RunContext,
  kind: string,
  targets: readonly T[],
  backup: (target: T) => Promise<unknown>,
): Promise<PromiseSettledResult<unknown>[]> {
  return settleWithLimit(targets, deps.concurrency, (target) =>
    withContainerHooks(deps, target.container, { target: target.name, what: `${kind} target "${target.name}"` }, ctx, () =>
      backup(target),
    ).catch((error: unknown) => {
      deps.metrics.failure({ kind, target: target.name, database: "" });
      ctx.log.error({ target: target.name, err: error }, `${kind} target ${target.name} failed`);
      throw error;
    }),
  );
}
