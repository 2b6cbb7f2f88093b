// Retention of one repository: stale locks removed, `restic forget` once per target group with the
// policy, then one `restic prune`. Both wait for the lock (--retry-lock) instead of failing.
import { AggregateBackupError, BackupError } from "../core/errors.js";
import type { RunContext } from "../core/job.js";
import { type ResticEnv, runRestic } from "../restic/command.js";
import {
  forgetGroup,
  hasPolicy,
  policyArgs,
  type RetentionPolicy,
  retentionGroups,
} from "../restic/forget.js";
import { listSnapshots } from "../restic/snapshots.js";

export interface RetentionTarget {
  env: ResticEnv;
  /** The repository as shown in logs and errors (credentials redacted). */
  display: string;
  policy: RetentionPolicy;
  /** The variables that set the policy, for the error when none is set. */
  policyVariables: string;
}

/** Unlocks stale locks, forgets per group, prunes. Rejects naming the repository and the group. */
export async function applyRetention(
  repo: RetentionTarget,
  ctx: Pick<RunContext, "signal" | "log">,
): Promise<{ groups: number; forgotten: number }> {
  if (!hasPolicy(repo.policy)) {
    // A retention flag with nothing to apply is a configuration mistake, never a quiet no-op.
    throw new BackupError(
      `--prune for ${repo.display}: no retention policy is configured (set at least one of ${repo.policyVariables})`,
    );
  }
  const fail = (what: string, cause: unknown) =>
    new BackupError(`retention of ${repo.display}: ${what}: ${(cause as Error).message}`, { cause });
  const snapshots = await listSnapshots(repo.env, ctx.signal).catch((error: unknown) => {
    throw fail("cannot list snapshots", error);
  });
  // Stale locks of a crashed run (never live ones: no --remove-all) must not hold up forget and prune.
  await runRestic(repo.env, ["unlock", "--quiet"], ctx.signal).catch((error: unknown) => {
    throw fail("unlock", error);
  });
  const groups = retentionGroups(snapshots);
  const errors: Error[] = [];
  let forgotten = 0;
  for (const group of groups) {
    ctx.signal.throwIfAborted();
    const name = `${group.kind}/${group.target}${group.database === undefined ? "" : `/${group.database}`}`;
    try {
      const removed = await forgetGroup(repo.env, group, repo.policy, ctx.signal);
      forgotten += removed.length;
      if (removed.length)
        ctx.log.info(
          { group: name, removed: removed.length },
          `forgot ${removed.length} snapshot(s) of ${name}`,
        );
    } catch (error) {
      errors.push(fail(`forget ${name}`, error));
    }
  }
  try {
    if (forgotten > 0) await runRestic(repo.env, ["prune", "--quiet"], ctx.signal);
  } catch (error) {
    errors.push(fail("prune", error));
  }
  ctx.log.info(
    { repository: repo.display, policy: policyArgs(repo.policy).join(" "), groups: groups.length, forgotten },
    `retention applied to ${repo.display}`,
  );
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateBackupError(`retention of ${repo.display}`, errors);
  return { groups: groups.length, forgotten };
}
