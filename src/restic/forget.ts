// Retention: a policy as restic forget flags, and the groups it applies to. Every snapshot carries a
// unique run= tag, so restic's own `--group-by tags` would make each snapshot its own group and keep
// everything; instead forget runs once per (kind, target, database), selected by those tags.
import type { ResticEnv } from "./command.js";
import { runRestic } from "./command.js";
import type { Snapshot } from "./snapshots.js";
import { AGENT_TAG } from "./tags.js";

export interface RetentionPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  /** A restic duration such as "14d". */
  within?: string;
}


export function hasPolicy(policy: RetentionPolicy): boolean {
  return Object.values(policy).some((v) => v !== undefined);
}

/** The policy as `--keep-*` flags, in a fixed order. */
export function policyArgs(policy: RetentionPolicy): string[] {
  const args: string[] = [];
  for (const key of ["last", "hourly", "daily", "weekly", "monthly", "yearly"] as const) {
    const value = policy[key];
    if (value !== undefined) args.push(`--keep-${key}`, String(value));
  }
  if (policy.within !== undefined) args.push("--keep-within", policy.within);
  return args;
}

/** One retention group: the tags that select it. */
export interface RetentionGroup {
  kind: string;
  target: string;
  database: string | undefined;
}

/** The distinct (kind, target, database) of the agent's snapshots, in a stable order. */
export function retentionGroups(snapshots: readonly Snapshot[]): RetentionGroup[] {
  const groups = new Map<string, RetentionGroup>();
  for (const s of snapshots) {
    const { kind, target, database } = s.tags;
    if (!kind || !target) continue;
    groups.set(JSON.stringify([kind, target, database ?? null]), { kind, target, database });
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
}

/**
 * `restic forget` of one group: only the agent's snapshots with exactly this kind, target and database,
 * grouped by host (a moved volume root or a renamed file stays in its target's group). Manifests are
 * also grouped by path, which names the target's kind (postgres/db/manifest.json), so two kinds'
 * targets of the same name never share one. Never prunes: the caller prunes once.
 */
export function forgetArgs(group: RetentionGroup, policy: RetentionPolicy): string[] {
  const tags = [AGENT_TAG, `kind=${group.kind}`, `target=${group.target}`];
  if (group.database !== undefined) tags.push(`database=${group.database}`);
  return [
    "forget",
    "--tag",
    tags.join(","),
    "--group-by",
    group.kind === "manifest" ? "host,paths" : "host",
    ...policyArgs(policy),
  ];
}

/** The ids restic removed, from `forget --json` output. */
export function forgottenIds(json: string): string[] {
  const groups = JSON.parse(json || "[]") as { remove?: { id: string }[] | null }[] | null;
  return (groups ?? []).flatMap((g) => (g.remove ?? []).map((s) => s.id));
}

export async function forgetGroup(
  env: ResticEnv,
  group: RetentionGroup,
  policy: RetentionPolicy,
  signal: AbortSignal,
): Promise<string[]> {
  return forgottenIds(await runRestic(env, [...forgetArgs(group, policy), "--json"], signal));
}
