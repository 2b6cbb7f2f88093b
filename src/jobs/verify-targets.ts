// What verify does in one repository (the local one, or the offsite copy): the repository's own
// check, then each planned target's newest backup proven by its kind, side by side under the
// concurrency limit. Every result goes to the gauges (and the record) under that repository's name.
import { BackupError, logFailure } from "../core/errors.js";
import type { RunContext } from "../core/job.js";
import { settleWithLimit } from "../core/limit.js";
import type { VerifiedRepository, VerifyTargetGauge } from "../report/verify-record.js";
import type { Repository, Snapshot } from "../restic/repository.js";
import { KIND } from "../restic/tags.js";
import type { Kind, KindRun, Scope, Target } from "../targets/kind.js";
import { named } from "./backup-kind.js";
import type { JobDeps } from "./deps.js";
import { checkRepository } from "./repository-check.js";

export interface VerifyPlan {
  kind: Kind;
  targets: readonly Target[];
  names: readonly string[];
}

export interface VerifiedIn {
  name: VerifiedRepository;
  repository: Repository;
  /** Where the check record goes: always the local repository, which status reads. */
  recordIn: Repository;
}

/** Checks one repository and verifies the plan's targets in it; returns one error per failure. */
export async function verifyIn(
  where: VerifiedIn,
  plan: readonly VerifyPlan[],
  deps: JobDeps,
  ctx: RunContext,
  scope: Scope,
  gauge: VerifyTargetGauge,
): Promise<Error[]> {
  // The check first: it takes the exclusive lock, so nothing reads the repository until it ends (its
  // record is stored while the restores run); the snapshots are listed beside it (that takes no lock),
  // and kinds that set up first (throwaway servers) start meanwhile.
  const check = { repository: where.repository, recordIn: where.recordIn, kinds: deps.kinds, metrics: deps.metrics.repository, name: where.name };
  const checking = checkRepository(check, deps.checkSubset, ctx);
  const repositoryReady = checking.then(
    () => undefined,
    () => undefined,
  );
  // The check's outcome is gauged and its record stored whatever else fails.
  const checked = async () => {
    const { failure, recorded } = await checking;
    gauge.set({ repository: where.name, kind: "repository", target: where.name, database: "" }, failure ? 0 : 1);
    await recorded;
    return failure;
  };
  const snapshots = await where.repository.snapshots(ctx.signal).catch(async (error: unknown) => {
    await checked().catch(() => undefined);
    throw new BackupError(`${where.name} repository ${where.repository.display}: cannot list snapshots`, { cause: error });
  });
  const run: KindRun = { runId: ctx.runId, signal: ctx.signal, log: ctx.log.child({ repository: where.name }), repository: where.repository, scope, repositoryReady };
  const results = await Promise.all(
    plan.map((p) =>
      settleWithLimit(p.names, deps.concurrency, async (name) => {
        if (!p.kind.verifySetsUpFirst) await repositoryReady;
        return verifyTarget(where.name, p.kind, name, p.targets.find((t) => t.name === name), snapshots, run, gauge);
      }),
    ),
  );
  const failure = await checked();
  const errors = results.flat().flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
  ctx.signal.throwIfAborted();
  if (failure) errors.push(failure);
  return errors;
}

/** One target: a gauge per checked part, one for the whole, its restore time; rejects naming the target and each failed part. */
async function verifyTarget(
  repository: VerifiedRepository,
  kind: Kind,
  name: string,
  target: Target | undefined,
  snapshots: readonly Snapshot[],
  run: KindRun,
  gauge: VerifyTargetGauge,
): Promise<void> {
  const labels = { repository, kind: kind.name, target: name };
  const set = (database: string, ok: boolean) => gauge.set({ ...labels, database }, ok ? 1 : 0);
  const started = performance.now();
  try {
    const parts = await kind.verify(name, target, snapshots, run);
    gauge.restored(labels, (performance.now() - started) / 1000);
    for (const p of parts) set(p.database, p.ok);
    const failed = parts.filter((p) => !p.ok);
    set("", failed.length === 0);
    if (failed.length) {
      const why = failed.map((p) => (p.what ? `${p.what}: ${p.problem}` : p.problem)).join("; ");
      throw new BackupError(`${kind.describe(name)}${repository === "offsite" ? " (offsite copy)" : ""}: ${why}`, { target: name });
    }
  } catch (error) {
    set("", false);
    const failure = named(kind, name, error);
    if (!run.signal.aborted) logFailure(run.log, `verify of ${kind.name} ${name} in the ${repository} repository failed`, failure, { target: name, kind: kind.name });
    throw failure;
  }
}

/**
 * What the weekly verify restores from the offsite copy: one PostgreSQL target, rotating through
 * them by the week of the year (the offsite copy is also checked in full by its own restic check).
 */
export function offsitePlan(plan: readonly VerifyPlan[], now: Date): VerifyPlan[] {
  const postgres = plan.find((p) => p.kind.name === KIND.postgres);
  const discovered = postgres?.names.filter((n) => postgres.targets.some((t) => t.name === n)) ?? [];
  if (!postgres || discovered.length === 0) return [];
  const week = Math.floor(now.getTime() / (7 * 86_400_000));
  return [{ ...postgres, names: [discovered[week % discovered.length] as string] }];
}
