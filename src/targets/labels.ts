// Docker labels that mark and tune targets. One prefix, documented in the README; keep them stable.
export const LABEL_PREFIX = "backup-agent.";

export const POSTGRES_LABELS = {
  enable: "backup-agent.postgres",
  user: "backup-agent.postgres.user",
  passwordEnv: "backup-agent.postgres.password-env",
  databases: "backup-agent.postgres.databases",
  exclude: "backup-agent.postgres.exclude",
  compress: "backup-agent.postgres.compress",
  globals: "backup-agent.postgres.globals",
} as const;

export const MEILISEARCH_LABELS = {
  enable: "backup-agent.meilisearch",
  url: "backup-agent.meilisearch.url",
  snapshotDir: "backup-agent.meilisearch.snapshot-dir",
} as const;

export const EXEC_LABELS = {
  /** The dump command, run with `sh -c` inside the container; its stdout is the backup. */
  command: "backup-agent.exec.command",
  user: "backup-agent.exec.user",
  filename: "backup-agent.exec.filename",
} as const;

export const VOLUME_LABELS = {
  /** On a container: stop it while volumes are backed up, start it again afterwards. */
  stopDuringBackup: "backup-agent.stop-during-backup",
  /** On a volume: deliberately not backed up, so never reported as unprotected. */
  exclude: "backup-agent.exclude",
} as const;

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
