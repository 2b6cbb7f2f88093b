// A target's container as it is now: kinds that exec into it or read from it check it first.
import { BackupError } from "../core/errors.js";
import { exitNote, lastLines } from "../core/text.js";
import type { ContainerInfo, Engine, ExecOptions } from "../docker/engine.js";
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
 * Runs cmd in the container and returns its stdout; a non-zero exit throws naming `what`, what was
 * being done, the command, its exit code and the end of its stderr.
 */
export async function checkedExec(
  engine: Pick<Engine, "execText">,
  id: string,
  cmd: readonly string[],
  options: ExecOptions,
  failure: { what: string; doing: string; target?: string },
): Promise<string> {
  const result = await engine.execText(id, cmd, options);
  if (result.exitCode !== 0) {
    throw new BackupError(`${failure.what}: ${failure.doing}: ${cmd[0]} exited ${result.exitCode}${exitNote(result.exitCode)}: ${lastLines(result.stderr)}`, { target: failure.target });
  }
  return result.stdout;
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
