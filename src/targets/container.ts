// A target's container as it is now: kinds that exec into it or read from it check it first.
import { BackupError } from "../core/errors.js";
import type { ContainerInfo, Engine } from "../docker/engine.js";
import { describeHooks } from "./hooks.js";

/** The container, freshly inspected; throws naming the target when it is gone or not running. */
export async function runningContainer(
  engine: Pick<Engine, "inspect">,
  target: { name: string; container?: ContainerInfo },
  what: string,
): Promise<ContainerInfo> {
  const known = target.container;
  if (!known) throw new BackupError(`${what}: no container`, { target: target.name });
  const current = await engine.inspect(known.id);
  if (!current) throw new BackupError(`${what}: container ${known.name} no longer exists`, { target: target.name });
  if (!current.running) {
    throw new BackupError(`${what}: container ${current.name} is not running (state: ${current.state})`, { target: target.name });
  }
  return current;
}

/**
 * The planned-target problems every one-container target shares: its label problems, its container's
 * hook label problems, and "not running".
 */
export function containerProblems(target: { problems: readonly string[]; container?: ContainerInfo }): string[] {
  const problems = [...target.problems];
  const c = target.container;
  const hooks = c ? describeHooks(c, 1) : undefined;
  for (const p of hooks?.problems ?? []) problems.push(`hooks of container ${hooks?.container.name}: ${p}`);
  if (c && !c.running) problems.push(`container ${c.name} is not running (state: ${c.state})`);
  return problems;
}
