// The manifest a PostgreSQL backup stores beside its dumps, read back for verify and restore.
import type { Snapshot } from "../../restic/snapshots.js";
import type { RowCounts } from "./rowcounts.js";

export interface ManifestFile {
  kind: string;
  database?: string;
  file: string;
  snapshot: string;
  size: number;
  sha256: string;
  /** Exact row counts in pg_dump's snapshot; absent in manifests written before they were recorded. */
  tables?: RowCounts;
}

export interface Manifest {
  target: string;
  run: string;
  image?: string;
  files: ManifestFile[];
}

/** Parses and checks a manifest.json; throws naming the first field that is wrong. */
export function parseManifest(text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`manifest is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const m = raw as Partial<Manifest> | null;
  if (!m || typeof m !== "object") throw new Error("manifest is not an object");
  if (typeof m.target !== "string") throw new Error("manifest: field target is not a string");
  if (typeof m.run !== "string") throw new Error("manifest: field run is not a string");
  if (!Array.isArray(m.files)) throw new Error("manifest: field files is not a list");
  m.files.forEach((f, i) => {
    const bad = (field: string) => new Error(`manifest: files[${i}].${field} is missing or wrong`);
    if (typeof f?.kind !== "string") throw bad("kind");
    if (typeof f.file !== "string") throw bad("file");
    if (typeof f.snapshot !== "string" || !/^[0-9a-f]{8,64}$/.test(f.snapshot)) throw bad("snapshot");
    if (!Number.isSafeInteger(f.size) || f.size < 0) throw bad("size");
    if (typeof f.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(f.sha256)) throw bad("sha256");
    if (f.tables !== undefined) {
      if (typeof f.tables !== "object" || f.tables === null) throw bad("tables");
      for (const count of Object.values(f.tables)) if (!Number.isSafeInteger(count)) throw bad("tables");
    }
  });
  return m as Manifest;
}

/**
 * The newest snapshot matching every tag, at or before `at` when given (restic's snapshot times).
 * Snapshots need not be sorted.
 */
export function newestAtOrBefore(
  snapshots: readonly Snapshot[],
  tags: Record<string, string>,
  at?: Date,
): Snapshot | undefined {
  let best: Snapshot | undefined;
  for (const s of snapshots) {
    if (!Object.entries(tags).every(([k, v]) => s.tags[k] === v)) continue;
    if (at && s.time.getTime() > at.getTime()) continue;
    if (!best || s.time.getTime() >= best.time.getTime()) best = s;
  }
  return best;
}

/** What differs between recorded and restored row counts, one sentence per table; empty when equal. */
export function compareRowCounts(recorded: RowCounts, restored: RowCounts): string[] {
  const problems: string[] = [];
  for (const [table, count] of Object.entries(recorded)) {
    const now = restored[table];
    if (now === undefined) problems.push(`table ${table} (${count} rows recorded) is missing after restore`);
    else if (now !== count) problems.push(`table ${table} has ${now} rows restored but ${count} recorded`);
  }
  for (const table of Object.keys(restored)) {
    if (!(table in recorded)) problems.push(`table ${table} was restored but not recorded at backup time`);
  }
  return problems;
}

/** A snapshot id given on the command line matches by prefix (at least 8 characters), like restic's. */
export function findSnapshot(snapshots: readonly Snapshot[], id: string): Snapshot | undefined {
  if (id.length < 8) return undefined;
  const found = snapshots.filter((s) => s.id.startsWith(id));
  return found.length === 1 ? found[0] : undefined;
}
