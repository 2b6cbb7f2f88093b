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

/** "a, b,,c" → ["a", "b", "c"]. */
export function labelList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
}
