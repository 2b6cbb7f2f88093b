// Pre/post hooks: labelled commands run in a container around the backup of what it holds (flush and
// lock tables, pause a writer). A failed pre-hook fails the targets it guards and skips their backup;
// post-hooks run anyway, under their own time limit, even after the run was aborted.
import type { Logger } from "pino";
import { parseDuration } from "../config/duration.js";
import { AggregateBackupError, BackupError, logFailure } from "../core/errors.js";
import { settleWithLimit } from "../core/limit.js";
import { exitNote, lastLines } from "../core/text.js";
import type { ContainerInfo, Engine } from "../docker/engine.js";
import { HOOK_LABELS as L } from "./labels.js";

export interface ContainerHooks {
  container: ContainerInfo;
  pre: string | undefined;
  post: string | undefined;
  user: string | undefined;
  timeoutMs: number;
  /** Label problems: a container with a bad hook label never has its targets backed up. */
  problems: string[];
}

type HookEngine = Pick<Engine, "execText">;
type Run = { signal: AbortSignal; log: Logger };

/** The container's hooks, or undefined when it carries no hook label. */
export function describeHooks(container: ContainerInfo, defaultTimeoutMs: number): ContainerHooks | undefined {
  const labels = container.labels;
  const pre = labels[L.pre]?.trim();
  const post = labels[L.post]?.trim();
  if (pre === undefined && post === undefined) return undefined;
  const problems: string[] = [];
  for (const [label, value] of [
    [L.pre, pre],
    [L.post, post],
  ] as const) {
    if (value === "") problems.push(`label ${label}: expected a command; got ""`);
  }
  let timeoutMs = defaultTimeoutMs;
  const timeout = labels[L.timeout];
  if (timeout !== undefined) {
    const parsed = parseDuration(timeout);
    if (typeof parsed === "number") timeoutMs = parsed;
    else problems.push(`label ${L.timeout}: ${parsed.problem}; got "${timeout}"`);
  }
  const user = labels[L.user];
  if (user !== undefined && user.trim() === "") problems.push(`label ${L.user}: expected a user name (leave it out for the container's own user); got "${user}"`);
  return { container, pre: pre || undefined, post: post || undefined, user, timeoutMs, problems };
}

/**
 * Runs the pre-hooks in order and stops at the first that fails. Returns the failure (the caller
 * fails the guarded targets with it), or undefined when every pre-hook exited 0. A container that
 * is not running has nothing to flush: its hooks are skipped, and said so.
 */
export async function runPreHooks(
  engine: HookEngine,
  hooks: readonly ContainerHooks[],
  run: Run,
): Promise<BackupError | undefined> {
  for (const h of hooks) {
    if (h.problems.length > 0) {
      return new BackupError(`hooks of container ${h.container.name}: ${h.problems.join("; ")}`, {
        target: h.container.name,
      });
    }
    if (!h.container.running) {
      run.log.info({ container: h.container.name }, `${h.container.name} is not running: its hooks are skipped`);
      continue;
    }
    if (h.pre === undefined) continue;
    const failure = await runHook(engine, h, "pre", h.pre, run.signal, run.log);
    if (failure) return failure;
  }
  return undefined;
}

/** Runs every post-hook (in reverse order), each under its own time limit; returns the failures. */
export async function runPostHooks(
  engine: HookEngine,
  hooks: readonly ContainerHooks[],
  log: Logger,
): Promise<BackupError[]> {
  const failures: BackupError[] = [];
  for (const h of [...hooks].reverse()) {
    if (h.post === undefined || h.problems.length > 0 || !h.container.running) continue;
    // Not the run's signal: after an abort the post-hook (unlock, resume) matters most.
    const failure = await runHook(engine, h, "post", h.post, undefined, log);
    if (failure) failures.push(failure);
  }
  return failures;
}

/**
 * Guards one backup with the hooks of the containers it reads from. The body's error comes first;
 * post-hook failures are joined to it, never dropped.
 */
export async function withHooks<T>(
  engine: HookEngine,
  hooks: readonly ContainerHooks[],
  guarded: { target: string; what: string },
  run: Run,
  body: () => Promise<T>,
): Promise<T> {
  if (hooks.length === 0) return body();
  const errors: Error[] = [];
  let result: T | undefined;
  try {
    const failure = await runPreHooks(engine, hooks, run);
    if (failure) {
      errors.push(new BackupError(`${guarded.what} was not backed up`, { target: guarded.target, cause: failure }));
    } else {
      result = await body();
    }
  } catch (error) {
    errors.push(error as Error);
  } finally {
    for (const failure of await runPostHooks(engine, hooks, run.log)) {
      errors.push(new BackupError(guarded.what, { target: guarded.target, cause: failure }));
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateBackupError(guarded.what, errors, { target: guarded.target });
  return result as T;
}

async function runHook(
  engine: HookEngine,
  h: ContainerHooks,
  phase: "pre" | "post",
  command: string,
  parent: AbortSignal | undefined,
  log: Logger,
): Promise<BackupError | undefined> {
  const where = `${phase}-hook in container ${h.container.name}`;
  const started = Date.now();
  // A timer, not AbortSignal.timeout(): Node 20 may collect an unreferenced timeout signal inside
  // AbortSignal.any() before it fires, and the hook would then never time out.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new BackupError(`${where} timed out`, { timedOut: true })), h.timeoutMs);
  const signal = parent ? AbortSignal.any([parent, deadline.signal]) : deadline.signal;
  try {
    const result = await engine.execText(h.container.id, ["sh", "-c", command], { user: h.user, signal });
    const seconds = (Date.now() - started) / 1000;
    if (result.exitCode !== 0) {
      log.error({ container: h.container.name, phase, exitCode: result.exitCode, seconds }, `${where} failed`);
      return new BackupError(`${where} exited ${result.exitCode}${exitNote(result.exitCode)}: ${lastLines(result.stderr)}`, {
        target: h.container.name,
        exitCode: result.exitCode,
      });
    }
    log.info({ container: h.container.name, phase, seconds }, `${where} done`);
    return undefined;
  } catch (error) {
    const timedOut = deadline.signal.aborted;
    const message = timedOut
      ? `${where} did not finish within ${h.timeoutMs / 1000}s (the command may still run inside the container)`
      : `${where} could not run`;
    logFailure(log, message, error, { container: h.container.name, phase });
    return new BackupError(message, { target: h.container.name, timedOut, cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The guard of kinds whose target lives in one container: each target's backup runs inside its own
 * container's hooks, at most `concurrency` at once. Returns the failures, each naming its target.
 */
export async function guardEachByContainerHooks<T extends { name: string; container?: ContainerInfo }>(
  deps: { engine: HookEngine; hookTimeoutMs: number; describe: (name: string) => string },
  targets: readonly T[],
  concurrency: number,
  run: Run,
  each: (target: T) => Promise<void>,
): Promise<Error[]> {
  const results = await settleWithLimit(targets, concurrency, (target) => {
    const hooks = target.container ? describeHooks(target.container, deps.hookTimeoutMs) : undefined;
    const guarded = { target: target.name, what: deps.describe(target.name) };
    return withHooks(deps.engine, hooks ? [hooks] : [], guarded, run, () => each(target));
  });
  return results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
}

/** guardEachByContainerHooks as a kind's guard(). */
export function containerHooksGuard(deps: { engine: HookEngine; hookTimeoutMs: number }, describe: (name: string) => string) {
  return <T extends { name: string; container?: ContainerInfo }>(targets: readonly T[], concurrency: number, run: Run, each: (target: T) => Promise<void>) =>
    guardEachByContainerHooks({ ...deps, describe }, targets, concurrency, run, each);
}
