// Leftovers of a crashed verify: throwaway containers whose owner process is gone, or that are older
// than any verify may run. A container of a verify still running in another agent is left alone.
import { logFailure } from "../core/errors.js";
import { hostname } from "node:os";
import type { Logger } from "pino";
import { processExists } from "../core/process.js";
import { type LabelledContainer, OWNER_LABEL, type Sandbox, THROWAWAY_LABEL } from "./sandbox.js";

export interface ReapContext {
  host: string;
  now: Date;
  /** Older than this, a container is abandoned whatever its owner (the verify job's timeout). */
  maxAgeMs: number;
  isAlive: (pid: number) => boolean;
}

/** Why the container is a leftover, or undefined when its verify may still be running. */
export function abandoned(c: LabelledContainer, ctx: ReapContext): string | undefined {
  if (ctx.now.getTime() - c.created.getTime() > ctx.maxAgeMs) return "older than the verify timeout";
  const owner = c.labels[OWNER_LABEL] ?? "";
  const colon = owner.lastIndexOf(":");
  const pid = Number(owner.slice(colon + 1));
  if (colon <= 0 || !Number.isSafeInteger(pid)) return "no owner label";
  if (owner.slice(0, colon) !== ctx.host) return undefined;
  return ctx.isAlive(pid) ? undefined : `its agent (pid ${pid}) is gone`;
}

/** Whether a process with this pid exists (ours counts as gone: a leftover cannot be this run's). */
export function isAlive(pid: number): boolean {
  return pid !== process.pid && processExists(pid);
}

/** Removes leftover throwaway containers; returns their names. A failed removal is logged, not thrown. */
export async function reapThrowaways(sandbox: Sandbox, log: Logger, maxAgeMs: number): Promise<string[]> {
  const ctx = { host: hostname(), now: new Date(), maxAgeMs, isAlive };
  const removed: string[] = [];
  for (const c of await sandbox.listLabelled(`${THROWAWAY_LABEL}=true`)) {
    const why = abandoned(c, ctx);
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
