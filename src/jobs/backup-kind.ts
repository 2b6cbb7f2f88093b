// One kind's backup step, the same for every kind: discover, check expectations, back up every target
// under the kind's guard and the concurrency limit, then record and log what the kind returned. A
// failed target never stops the others; the step fails naming each.
import { AggregateBackupError, BackupError, logFailure } from "../core/errors.js";
import type { ItemProgress, RunContext } from "../core/job.js";
import type { TargetKey, TargetMetrics } from "../report/target-metrics.js";
import type { Repository } from "../restic/repository.js";
import type { BackupOutcome, Kind, Scope, Target } from "../targets/kind.js";
import { checkExpectedTargets } from "./expected.js";

export interface StepDeps {
  repository: Repository;
  metrics: TargetMetrics;
  expected: readonly string[];
  concurrency: number;
}

/** Backs up the kind's targets; rejects with every failure when one or more failed. */
export async function backupKind(
  kind: Kind,
  deps: StepDeps,
  ctx: RunContext,
  scope: Scope & { reason: string },
  options: { warnWhenNone: boolean },
): Promise<void> {
  const targets = await kind.discover(scope, ctx.signal);
  const errors: Error[] = checkExpectedTargets(kind, targets, deps.expected);
  const missing = errors.length;
  const counted = new Set<string>();
  const fail = (key: TargetKey) => {
    const id = JSON.stringify(key);
    if (!counted.has(id)) deps.metrics.failure(key);
    counted.add(id);
  };
  for (const e of errors) fail({ kind: kind.name, target: (e as BackupError).target ?? "", database: "" });
  ctx.log.info(
    { scope: scope.project ?? "*", why: scope.reason, targets: targets.map((t) => label(t)), missing: missing || undefined },
    `${targets.length} ${kind.title} target(s) found${missing ? `, ${missing} expected but missing` : ""}`,
  );
  if (targets.length === 0 && missing === 0) {
    ctx.log[options.warnWhenNone ? "warn" : "info"]({ scope: scope.project ?? "*" }, kind.howToEnable);
  }
  const run = { runId: ctx.runId, signal: ctx.signal, log: ctx.log, repository: deps.repository, scope };
  const failures = await kind.guard(targets, deps.concurrency, run, async (target) => {
    let outcome: BackupOutcome;
    const watch = ctx.progress;
    const onProgress = watch && ((p: ItemProgress) => watch({ ...p, kind: kind.name, target: target.name }));
    try {
      outcome = await kind.backup(target, { ...run, onProgress });
    } catch (error) {
      throw named(kind, target.name, error);
    }
    record(target, outcome, deps.metrics, ctx, fail);
    if (outcome.failed.length === 1) throw outcome.failed[0]?.error;
    if (outcome.failed.length > 1) {
      throw new AggregateBackupError(kind.describe(target.name), outcome.failed.map((f) => f.error), { target: target.name });
    }
  });
  for (const error of failures) {
    const target = (error as BackupError).target ?? "";
    fail({ kind: kind.name, target, database: "" });
    logFailure(ctx.log, `${kind.describe(target)} failed`, error, { target, kind: kind.name });
    errors.push(error);
  }
  if (errors.length > 0) {
    throw new AggregateBackupError(`${errors.length} of ${targets.length + missing} ${kind.title} target(s) failed`, errors);
  }
}

/** Metrics and a log line for every stored part; a failure count for every failed one. */
function record(target: Target, outcome: BackupOutcome, metrics: TargetMetrics, ctx: RunContext, fail: (key: TargetKey) => void) {
  for (const item of outcome.stored) {
    metrics.success({ kind: item.kind, target: target.name, database: item.database ?? "" }, new Date(), item.bytes, item.seconds);
    ctx.log.info(
      {
        target: target.name,
        kind: item.kind,
        database: item.database,
        file: item.filename,
        snapshot: item.snapshotId.slice(0, 8),
        bytes: item.bytes,
        added: item.added,
        seconds: Number(item.seconds.toFixed(3)),
      },
      `stored ${item.filename}`,
    );
  }
  for (const part of outcome.failed) fail({ kind: part.kind, target: target.name, database: part.database ?? "" });
}

/** The error as one that names its target: kinds name theirs; anything else is wrapped once. */
export function named(kind: Kind, name: string, error: unknown): Error {
  if (error instanceof BackupError && error.target) return error;
  return new BackupError(kind.describe(name), { target: name, cause: error });
}

function label(t: Target): string {
  return t.container ? `${t.name} (${t.container.name})` : t.name;
}
