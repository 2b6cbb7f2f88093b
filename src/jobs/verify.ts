// The `verify` job: every kind proves the newest backup of each of its targets (restored into
// throwaway containers and temp dirs, read back against recorded checksums), side by side under the
// concurrency limit; then `restic check --read-data-subset`. A failed target never stops the others;
// the run fails naming each failed target and why. Each run leaves a record in the repository.
import { AggregateBackupError, BackupError, logFailure } from "../core/errors.js";
import type { Job, RunContext } from "../core/job.js";
import { settleWithLimit } from "../core/limit.js";
import { resolveProject } from "../docker/project.js";
import { recordingGauge, VERIFY_TARGET, type VerifyRecord, type VerifyTargetGauge } from "../report/verify-record.js";
import type { Snapshot } from "../restic/repository.js";
import { identityTags, KIND } from "../restic/tags.js";
import type { Kind, KindRun, Target } from "../targets/kind.js";
import { storeText } from "../targets/store.js";
import { named } from "./backup-kind.js";
import type { JobDeps } from "./deps.js";
import { expectedNames } from "./expected.js";
import { checkAndRecord } from "./repository-check.js";

export function verifyJob(deps: JobDeps): Job {
  return {
    name: "verify",
    async run(ctx) {
      const now = deps.now ?? Date.now;
      const started = now();
      const gauge = recordingGauge(deps.metrics.verify.verifyTarget);
      let failure: unknown;
      try {
        await verifyAll(deps, gauge, ctx);
      } catch (error) {
        failure = error;
      }
      const ended = now();
      deps.metrics.verify.verifyLast.set(ended / 1000);
      deps.metrics.verify.verifyDuration.set((ended - started) / 1000);
      deps.metrics.verify.verifySuccess.set(failure === undefined ? 1 : 0);
      // An aborted run proved nothing either way: it leaves no record.
      if (!ctx.signal.aborted) {
        const record: VerifyRecord = {
          runId: ctx.runId,
          startedAt: new Date(started).toISOString(),
          finishedAt: new Date(ended).toISOString(),
          ok: failure === undefined,
          durationSeconds: (ended - started) / 1000,
          results: gauge.results(),
          errors: failureLines(failure),
        };
        const tags = [...identityTags({ kind: KIND.verify, target: VERIFY_TARGET, run: ctx.runId }), `result=${record.ok ? "passed" : "failed"}`];
        try {
          await storeText(deps.repository, { parts: [KIND.verify, "result.json"], tags, signal: ctx.signal }, `${JSON.stringify(record, null, 2)}\n`);
        } catch (error) {
          const stored = new BackupError("the verify result could not be stored in the repository (status will not see it)", { cause: error });
          failure = failure === undefined ? stored : new AggregateBackupError("verify", [failure as Error, stored]);
        }
      }
      if (failure !== undefined) throw failure;
    },
  };
}

function failureLines(failure: unknown): string[] {
  if (failure === undefined) return [];
  if (failure instanceof AggregateBackupError) return failure.errors.map((e) => e.message);
  return [(failure as Error).message ?? String(failure)];
}

async function verifyAll(deps: JobDeps, gauge: VerifyTargetGauge, ctx: RunContext): Promise<void> {
  const scope = await resolveProject(deps.engine, deps.project);
  const found = await Promise.all(deps.kinds.map(async (kind) => ({ kind, targets: await kind.discover(scope, ctx.signal) })));
  const snapshots = await deps.repository.snapshots(ctx.signal);
  const plan = found.map(({ kind, targets }) => ({ kind, targets, names: [...new Set([...targets.map((t) => t.name), ...expectedNames(kind.name, deps.expected)])].sort() }));
  const counts = plan.map((p) => `${p.names.length} ${p.kind.title} target(s)`).join(", ");
  ctx.log.info(
    { scope: scope.project ?? "*", snapshots: snapshots.length, ...Object.fromEntries(plan.map((p) => [p.kind.name, p.names])) },
    `verifying ${counts}`,
  );
  if (plan.every((p) => p.names.length === 0)) {
    throw new BackupError(`nothing to verify: ${plan.map((p) => p.kind.howToEnable).join("; ")}`);
  }
  const run: KindRun = { runId: ctx.runId, signal: ctx.signal, log: ctx.log, repository: deps.repository, scope };
  // The kinds run side by side (each under the concurrency limit), then the repository check.
  const results = await Promise.all(
    plan.map((p) =>
      settleWithLimit(p.names, deps.concurrency, (name) =>
        verifyTarget(p.kind, name, p.targets.find((t) => t.name === name), snapshots, run, gauge),
      ),
    ),
  );
  const errors = results.flat().flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
  ctx.signal.throwIfAborted();
  const checked = await verifyRepository(deps, ctx, gauge);
  if (checked) errors.push(checked);
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateBackupError(`${errors.length} target(s) failed verify`, errors);
}

/** One target: a gauge per checked part and one for the whole; rejects naming the target and each failed part. */
async function verifyTarget(
  kind: Kind,
  name: string,
  target: Target | undefined,
  snapshots: readonly Snapshot[],
  run: KindRun,
  gauge: VerifyTargetGauge,
): Promise<void> {
  const set = (database: string, ok: boolean) => gauge.set({ kind: kind.name, target: name, database }, ok ? 1 : 0);
  try {
    const parts = await kind.verify(name, target, snapshots, run);
    for (const p of parts) set(p.database, p.ok);
    const failed = parts.filter((p) => !p.ok);
    set("", failed.length === 0);
    if (failed.length) {
      const why = failed.map((p) => (p.what ? `${p.what}: ${p.problem}` : p.problem)).join("; ");
      throw new BackupError(`${kind.describe(name)}: ${why}`, { target: name });
    }
  } catch (error) {
    set("", false);
    const failure = named(kind, name, error);
    if (!run.signal.aborted) logFailure(run.log, `verify of ${kind.name} ${name} failed`, failure, { target: name, kind: kind.name });
    throw failure;
  }
}

/** `restic check --read-data-subset` (BACKUP_CHECK_SUBSET): the repository metric, its record, and a gauge. */
async function verifyRepository(deps: JobDeps, ctx: RunContext, gauge: VerifyTargetGauge): Promise<Error | undefined> {
  const failure = await checkAndRecord({ ...deps, metrics: deps.metrics.repository }, deps.checkSubset, ctx);
  gauge.set({ kind: "repository", target: "local", database: "" }, failure ? 0 : 1);
  return failure;
}
