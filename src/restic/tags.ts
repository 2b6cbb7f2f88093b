// restic tags that identify what a snapshot holds: backup-agent, kind=, target=, database=, run=.
export const AGENT_TAG = "backup-agent";

export interface SnapshotIdentity {
  kind: string;
  target: string;
  database?: string;
  run: string;
}

export function identityTags(id: SnapshotIdentity): string[] {
  const tags = [AGENT_TAG, `kind=${id.kind}`, `target=${id.target}`, `run=${id.run}`];
  if (id.database !== undefined) tags.push(`database=${id.database}`);
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
