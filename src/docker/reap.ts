// Leftovers of a crashed verify or restore: throwaway containers whose owner is gone (its container
// gone, stopped or restarted, or its process gone). A container of a verify or restore still running
// in another live agent is left alone, however long it takes; only one whose owner cannot be told
// from here is reaped by age (older than any verify may run).
import { hostname } from "node:os";
import type { Logger } from "pino";
import { logFailure } from "../core/errors.js";
import { processExists } from "../core/process.js";
import type { Engine } from "./engine.js";
import { type Owner, ownerState, parseOwner, selfOwner } from "./owner.js";
import { type LabelledContainer, OWNER_LABEL, type Sandbox, THROWAWAY_LABEL } from "./sandbox.js";

export interface ReapContext {
  now: Date;
  /** Older than this, a container is abandoned whatever its owner (the verify job's timeout). */
  maxAgeMs: number;
  /** Whether an owner may still run (see ownerState). */
  state: (owner: Owner) => Promise<"alive" | "gone" | "unknown">;
  /** For owner labels of agents before this version (`<hostname>:<pid>`). */
  host: string;
  isAlive: (pid: number) => boolean;
}

/** Why the container is a leftover, or undefined when its verify or restore may still be running. */
export async function abandoned(c: LabelledContainer, ctx: ReapContext): Promise<string | undefined> {
  const old = ctx.now.getTime() - c.created.getTime() > ctx.maxAgeMs;
  const label = c.labels[OWNER_LABEL] ?? "";
  const owner = parseOwner(label);
  if (owner) {
    const state = await ctx.state(owner);
    if (state === "gone") return owner.container ? `its agent's container ${owner.container.slice(0, 12)} is gone, stopped or restarted` : `its agent (pid ${owner.pid}) is gone`;
    return state === "unknown" && old ? "its agent cannot be seen from here and it is older than the verify timeout" : undefined;
  }
  if (old) return "older than the verify timeout";
  const colon = label.lastIndexOf(":");
  const pid = Number(label.slice(colon + 1));
  if (colon <= 0 || !Number.isSafeInteger(pid)) return "no owner label";
  if (label.slice(0, colon) !== ctx.host) return undefined;
  return ctx.isAlive(pid) ? undefined : `its agent (pid ${pid}) is gone`;
}

/** Whether a process with this pid exists (ours counts as gone: a leftover cannot be this run's). */
export function isAlive(pid: number): boolean {
  return pid !== process.pid && processExists(pid);
}

/** Removes leftover throwaway containers; returns their names. A failed removal is logged, not thrown. */
export async function reapThrowaways(
  sandbox: Sandbox,
  engine: Pick<Engine, "inspectStarted">,
  log: Logger,
  maxAgeMs: number,
): Promise<string[]> {
  const me = await selfOwner(engine);
  const ctx: ReapContext = { now: new Date(), maxAgeMs, state: (o) => ownerState(o, me, engine), host: hostname(), isAlive };
  const removed: string[] = [];
  for (const c of await sandbox.listLabelled(`${THROWAWAY_LABEL}=true`)) {
    const why = await abandoned(c, ctx);
    if (!why) continue;
    try {
      await sandbox.remove(c.id);
      removed.push(c.name);
      log.info({ container: c.name, why }, `removed leftover throwaway container ${c.name}`);
    } catch (error) {
      logFailure(log, `could not remove leftover throwaway container ${c.name}`, error, { container: c.name });
    }
  }
  return removed;
}
