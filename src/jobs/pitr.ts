// The point-in-time-recovery jobs: `wal` (every minute by default) archives what each PITR target
// wrote since its last run; `basebackup` (daily) stores a base backup of each. Only PostgreSQL
// targets labelled backup-agent.postgres.pitr=true take part; one failing target stops no other.
import { AggregateBackupError, logFailure } from "../core/errors.js";
import type { Job, JobName, RunContext } from "../core/job.js";
import { settleWithLimit } from "../core/limit.js";
import { resolveProject } from "../docker/project.js";
import { type PostgresTarget, discoverPostgres } from "../targets/postgres/discover.js";
import { baseBackup } from "../targets/postgres/pitr/base.js";
import { archiveWal } from "../targets/postgres/pitr/wal.js";
import type { KindRun } from "../targets/kind.js";
import type { JobDeps } from "./deps.js";

export interface PitrDeps extends Pick<JobDeps, "engine" | "repository" | "project" | "concurrency" | "metrics"> {
  walMaxRetained: string;
}

async function eachPitrTarget(deps: PitrDeps, ctx: RunContext, what: string, work: (target: PostgresTarget, run: KindRun) => Promise<void>): Promise<void> {
  const scope = await resolveProject(deps.engine, deps.project);
  const targets = (await discoverPostgres(deps.engine, scope.project)).filter((t) => t.pitr);
  if (targets.length === 0) {
    ctx.log.debug({ scope: scope.project ?? "*" }, "no PostgreSQL target is labelled backup-agent.postgres.pitr=true");
    return;
  }
  const run: KindRun = { runId: ctx.runId, signal: ctx.signal, log: ctx.log, repository: deps.repository, scope };
  const results = await settleWithLimit(targets, deps.concurrency, (target) => work(target, { ...run, log: ctx.log.child({ target: target.name }) }));
  const errors: Error[] = [];
  results.forEach((r, i) => {
    if (r.status === "fulfilled") return;
    errors.push(r.reason as Error);
    if (!ctx.signal.aborted) logFailure(ctx.log, `${what} of ${targets[i]?.name} failed`, r.reason, { target: targets[i]?.name });
  });
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateBackupError(`${errors.length} of ${targets.length} PITR target(s) failed`, errors);
}

export function walJob(deps: PitrDeps): Job {
  return {
    name: "wal" satisfies JobName,
    run: (ctx) =>
      eachPitrTarget(deps, ctx, "WAL archiving", async (target, run) => {
        const done = await archiveWal(deps.engine, target, run, { maxRetained: deps.walMaxRetained });
        deps.metrics.pitr.walStored(target.name, new Date(done.cutTime), done.slotRetainedBytes);
        run.log.info(
          { snapshot: done.snapshotId.slice(0, 8), segments: done.segments.length, cutLsn: done.cutLsn, cutTime: done.cutTime, bytes: done.bytes, added: done.added, slotRetainedBytes: done.slotRetainedBytes },
          `archived the WAL of ${target.name} up to ${done.cutTime}`,
        );
      }),
  };
}

export function baseBackupJob(deps: PitrDeps): Job {
  return {
    name: "basebackup" satisfies JobName,
    run: (ctx) =>
      eachPitrTarget(deps, ctx, "base backup", async (target, run) => {
        const outcome = await baseBackup(deps.engine, target, run, { maxRetained: deps.walMaxRetained });
        const stored = outcome.stored[0];
        if (stored) deps.metrics.pitr.baseStored(target.name, new Date(), stored.bytes);
        if (outcome.failed.length) throw outcome.failed[0]?.error;
      }),
  };
}
