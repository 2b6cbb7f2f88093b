// Docker labels shared by every kind: the prefix, the pre/post hooks any target's container may
// carry, and the agent's own. Each kind's own labels live in its folder. Documented in the README;
// keep them stable.
import { OWNER_LABEL, THROWAWAY_LABEL, VERIFY_RUN_LABEL } from "../docker/sandbox.js";

export const LABEL_PREFIX = "backup-agent.";

/** What the agent labels its own throwaway containers with (see docker/sandbox.ts). */
export const AGENT_LABELS = [THROWAWAY_LABEL, VERIFY_RUN_LABEL, OWNER_LABEL, "backup-agent.verify.target"] as const;

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
