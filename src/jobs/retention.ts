// Retention of one repository that keeps runs whole: the policy is applied to each target's runs (a
// run's dumps, globals and manifest together), so a kept dump never loses its manifest and a kept
// manifest never points at a forgotten dump. Then one `restic forget` of the dropped runs' snapshots
// and one prune. Both wait for the lock (--retry-lock) instead of failing.
import { BackupError } from "../core/errors.js";
import type { RunContext } from "../core/job.js";
import { applyPolicy, hasPolicy, policyArgs, type RetentionPolicy } from "../restic/policy.js";
import type { Repository, Snapshot } from "../restic/repository.js";
import { KIND, targetKindOf } from "../restic/tags.js";

export interface RetentionTarget {
  repository: Repository;
  policy: RetentionPolicy;
  /** The variables that set the policy, for the error when none is set. */
  policyVariables: string;
}

/** One run of one target: every snapshot it made, and when it began (the policy's time for it). */
export interface RunUnit {
  id: string;
  time: string;
  group: string;
  snapshots: Snapshot[];
}

/** The agent's snapshots as runs, grouped by (kind of target, target, host). */
export function runUnits(snapshots: readonly Snapshot[]): Map<string, RunUnit[]> {
  const groups = new Map<string, Map<string, RunUnit>>();
  for (const s of snapshots) {
    const kind = targetKindOf(s);
    const target = s.tags.target;
    if (!kind || !target) continue;
    const group = `${kind}/${target}${s.hostname ? ` (host ${s.hostname})` : ""}`;
    const runs = groups.get(group) ?? new Map<string, RunUnit>();
    groups.set(group, runs);
    const key = s.tags.run ?? `snapshot ${s.id}`;
    const unit = runs.get(key) ?? { id: key, time: s.rawTime, group, snapshots: [] };
    unit.snapshots.push(s);
    if (s.time.getTime() < Date.parse(unit.time)) unit.time = s.rawTime;
    runs.set(key, unit);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([g, runs]) => [g, [...runs.values()]]));
}

/** How much earlier than the oldest kept base backup archived WAL is still kept (clock skew, slow starts). */
const WAL_MARGIN_MS = 3_600_000;

/**
 * The runs the policy drops, group by group. Archived WAL is not a run the policy counts: it is kept
 * from (just before) the oldest kept base backup of its target on, so every kept base backup stays
 * recoverable to every second after it, and dropped with the base backups it served.
 */
export function runsToForget(snapshots: readonly Snapshot[], policy: RetentionPolicy, now = new Date()): RunUnit[] {
  const wal = snapshots.filter((s) => s.tags.kind === KIND.postgresWal);
  const groups = [...runUnits(snapshots.filter((s) => s.tags.kind !== KIND.postgresWal)).values()];
  const drop = groups.flatMap((units) => applyPolicy(units, policy, now).remove);
  const dropped = new Set(drop.flatMap((u) => u.snapshots.map((s) => s.id)));
  const oldestKeptBase = new Map<string, number>();
  for (const s of snapshots) {
    if (s.tags.kind !== KIND.postgresBase || dropped.has(s.id) || !s.tags.target) continue;
    oldestKeptBase.set(s.tags.target, Math.min(oldestKeptBase.get(s.tags.target) ?? Number.POSITIVE_INFINITY, s.time.getTime()));
  }
  const walDrop = wal.filter((s) => {
    const from = oldestKeptBase.get(s.tags.target ?? "");
    // No base backup kept: the WAL is kept too, never silently thrown away.
    return from !== undefined && s.time.getTime() < from - WAL_MARGIN_MS;
  });
  if (walDrop.length === 0) return drop;
  const byTarget = new Map<string, Snapshot[]>();
  for (const s of walDrop) byTarget.set(s.tags.target ?? "", [...(byTarget.get(s.tags.target ?? "") ?? []), s]);
  return [
    ...drop,
    ...[...byTarget].map(([target, list]) => ({ id: `WAL before the oldest kept base backup of ${target}`, time: list[0]?.rawTime ?? "", group: `${KIND.postgresWal}/${target}`, snapshots: list })),
  ];
}

/** Unlocks stale locks, forgets the dropped runs, prunes. Rejects naming the repository. */
export async function applyRetention(repo: RetentionTarget, ctx: Pick<RunContext, "signal" | "log">): Promise<{ runs: number; forgotten: number }> {
  const display = repo.repository.display;
  if (!hasPolicy(repo.policy)) {
    // A retention flag with nothing to apply is a configuration mistake, never a quiet no-op.
    throw new BackupError(`--prune for ${display}: no retention policy is configured (set at least one of ${repo.policyVariables})`);
  }
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw new BackupError(`retention of ${display}: ${what}`, { cause: error });
    }
  };
  const snapshots = await step("cannot list snapshots", () => repo.repository.snapshots(ctx.signal));
  // Stale locks of a crashed run (never live ones) must not hold up forget and prune.
  await step("unlock", () => repo.repository.unlock(ctx.signal));
  const drop = runsToForget(snapshots, repo.policy);
  const ids = drop.flatMap((u) => u.snapshots.map((s) => s.id));
  for (const [group, count] of countBy(drop.map((u) => u.group))) {
    ctx.log.info({ group, runs: count }, `forgetting ${count} run(s) of ${group}`);
  }
  if (ids.length > 0) {
    await step("forget", () => repo.repository.forget(ids, ctx.signal));
    await step("prune", () => repo.repository.prune(ctx.signal));
  }
  ctx.log.info({ repository: display, policy: policyArgs(repo.policy).join(" "), runs: drop.length, forgotten: ids.length }, `retention applied to ${display}`);
  return { runs: drop.length, forgotten: ids.length };
}

function countBy(values: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of values) out.set(v, (out.get(v) ?? 0) + 1);
  return out;
}
