// Docker labels shared by every kind: the prefix, and the pre/post hooks any target's container may
// carry. Each kind's own labels live in its folder. Documented in the README; keep them stable.
export const LABEL_PREFIX = "backup-agent.";

export const HOOK_LABELS = {
  /** On a container: a command (`sh -c`) run in it before its targets are backed up. */
  pre: "backup-agent.hook.pre",
  /** On a container: a command run in it after its targets were backed up, even when that failed. */
  post: "backup-agent.hook.post",
  /** The user both hooks run as (default: the container's own). */
  user: "backup-agent.hook.user",
  /** How long one hook may take ("30s", "5m"; default BACKUP_HOOK_TIMEOUT). */
  timeout: "backup-agent.hook.timeout",
} as const;

/** "a, b,,c" → ["a", "b", "c"]. */
export function labelList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
}
