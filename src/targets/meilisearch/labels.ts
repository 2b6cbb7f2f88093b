// The Docker labels of Meilisearch targets. Documented in the README; keep them stable.
export const MEILISEARCH_LABELS = {
  enable: "backup-agent.meilisearch",
  url: "backup-agent.meilisearch.url",
  snapshotDir: "backup-agent.meilisearch.snapshot-dir",
} as const;
