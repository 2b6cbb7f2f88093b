// restic tags that identify what a snapshot holds (backup-agent, kind=, target=, database=, run=, for=),
// and the kind names they carry. Below targets/ and report/, so both name kinds the same way.
export const AGENT_TAG = "backup-agent";

/** Every value of the kind= tag. Stable: repositories, rules and scripts depend on them. */
export const KIND = {
  postgres: "postgres",
  postgresGlobals: "postgres-globals",
  meilisearch: "meilisearch",
  exec: "exec",
  volume: "volume",
  /** A PostgreSQL base backup (pg_basebackup's tar) of a point-in-time-recovery target. */
  postgresBase: "postgres-base",
  /** WAL archived from a point-in-time-recovery target: a tar of segments, one per WAL interval. */
  postgresWal: "postgres-wal",
  /** Sizes and checksums of one run's files, beside them; for= names the kind it describes. */
  manifest: "manifest",
  /** The outcome of one verify run. */
  verify: "verify",
  /** The outcome of one `restic check`. */
  check: "check",
} as const;

/** The kinds of target the agent backs up (the kind contract's names). */
export type TargetKindName = typeof KIND.postgres | typeof KIND.meilisearch | typeof KIND.exec | typeof KIND.volume;

/** Kinds of snapshot that hold backed-up data (manifests and verify records describe it). */
export const DATA_KINDS: readonly string[] = [KIND.postgres, KIND.postgresGlobals, KIND.meilisearch, KIND.exec, KIND.volume];

export interface SnapshotIdentity {
  kind: string;
  target: string;
  database?: string;
  run: string;
  /** For a manifest: the kind of target it describes. */
  for?: string;
}

export function identityTags(id: SnapshotIdentity): string[] {
  const tags = [AGENT_TAG, `kind=${id.kind}`, `target=${id.target}`, `run=${id.run}`];
  if (id.database !== undefined) tags.push(`database=${id.database}`);
  if (id.for !== undefined) tags.push(`for=${id.for}`);
  for (const tag of tags) {
    if (tag.includes(",")) throw new Error(`a restic tag cannot contain a comma: "${tag}"`);
  }
  return tags;
}

/** `["kind=postgres", "target=db"]` → `{ kind: "postgres", target: "db" }`. */
export function parseTags(tags: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) {
    const eq = tag.indexOf("=");
    if (eq > 0) out[tag.slice(0, eq)] = tag.slice(eq + 1);
  }
  return out;
}

/**
 * The kind of target a snapshot belongs to: a dump's own kind (globals belong to postgres), a
 * manifest's for= tag, or for a manifest written before that tag existed, the first part of its path
 * (`/postgres/db/manifest.json` or restic 0.18.0's `/postgres__db__manifest.json`).
 */
export function targetKindOf(snapshot: { tags: Record<string, string>; paths: readonly string[] }): string | undefined {
  const kind = snapshot.tags.kind;
  if (kind === KIND.postgresGlobals) return KIND.postgres;
  if (kind !== KIND.manifest) return kind;
  if (snapshot.tags.for) return snapshot.tags.for;
  const first = (snapshot.paths[0] ?? "").replace(/^\/+/, "").split(/\/|__/)[0];
  return first || undefined;
}
