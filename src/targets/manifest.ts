// The manifest every kind with stored files writes beside them (sizes, checksums, and what the kind
// records), tagged kind=manifest and for=<kind>; read back by verify and restore. One format, one place.
import { readText } from "../restic/read-text.js";
import type { Repository, Snapshot } from "../restic/repository.js";
import { newestAtOrBefore } from "../restic/select.js";
import { identityTags, KIND, targetKindOf } from "../restic/tags.js";
import { type OpenedUpload, openUpload, type StoredFile } from "./store.js";

/** Table → exact row count, tables named `schema.table` with quote_ident. */
export type RowCounts = Record<string, number>;

export interface ManifestFile {
  /** The stored file's own kind= tag (postgres, postgres-globals, meilisearch, exec). */
  kind: string;
  database?: string;
  file: string;
  snapshot: string;
  size: number;
  sha256: string;
  /** Exact row counts at backup time (PostgreSQL); absent in manifests written before they were recorded. */
  tables?: RowCounts;
  /** Anything else the kind records about the file (Meilisearch: source path, modified). */
  [extra: string]: unknown;
}

export interface Manifest {
  target: string;
  run: string;
  image?: string;
  files: ManifestFile[];
  [extra: string]: unknown;
}

/** Parses and checks a manifest.json; throws naming the first field that is wrong. */
export function parseManifest(text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error("manifest is not JSON", { cause: error });
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

/** One manifest entry for a file just stored. */
export function manifestEntry(kind: string, file: StoredFile, extra: Record<string, unknown> = {}): ManifestFile {
  return { kind, file: file.filename, snapshot: file.snapshotId, size: file.size, sha256: file.sha256, ...extra };
}

/** Opens the upload of one run's manifest ahead of time (see openUpload); store it with storeManifest. */
export function openManifest(repository: Repository, owner: { kind: string; target: string; run: string }, signal: AbortSignal): OpenedUpload {
  return openUpload(repository, {
    parts: [owner.kind, owner.target, "manifest.json"],
    tags: identityTags({ kind: KIND.manifest, target: owner.target, run: owner.run, for: owner.kind }),
    signal,
  });
}

/** Stores a manifest through an upload opened by openManifest. */
export function storeManifest(upload: OpenedUpload, manifest: Manifest): Promise<StoredFile> {
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  return upload.store(async (sink) => void sink.write(text));
}

/** Stores the manifest of one run of one target, beside its files. */
export function writeManifest(
  repository: Repository,
  owner: { kind: string; target: string; run: string },
  manifest: Manifest,
  signal: AbortSignal,
): Promise<StoredFile> {
  return storeManifest(openManifest(repository, owner, signal), manifest);
}

export interface ManifestQuery {
  /** The kind of target the manifest describes. */
  kind: string;
  target: string;
  /** The newest at or before this time (default: the newest). */
  at?: Date;
  /** Only the manifest of this run. */
  run?: string;
}

/** The manifest snapshot that answers the query, or undefined. */
export function findManifest(snapshots: readonly Snapshot[], q: ManifestQuery): Snapshot | undefined {
  const tags: Record<string, string> = { kind: KIND.manifest, target: q.target, ...(q.run ? { run: q.run } : {}) };
  return newestAtOrBefore(snapshots, tags, q.at, (s) => targetKindOf(s) === q.kind);
}

/** Reads and parses the manifest that answers the query, with the snapshot it came from. */
export async function readManifest(
  repository: Repository,
  snapshots: readonly Snapshot[],
  q: ManifestQuery,
  signal: AbortSignal,
): Promise<{ manifest: Manifest; snapshot: Snapshot } | undefined> {
  const snapshot = findManifest(snapshots, q);
  if (!snapshot) return undefined;
  const path = snapshot.paths[0];
  if (!path) throw new Error(`manifest snapshot ${snapshot.id.slice(0, 8)} names no file`);
  return { manifest: parseManifest(await readText(repository, snapshot.id, path, signal)), snapshot };
}
