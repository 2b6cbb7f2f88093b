// `restic snapshots --json`, parsed: the repository is the source of truth for what was backed up.
import type { Snapshot } from "./repository.js";
import { parseTags } from "./tags.js";

interface RawSnapshot {
  id: string;
  time: string;
  paths?: string[];
  hostname: string;
  tags?: string[];
  original?: string;
  summary?: { backup_start?: string; backup_end?: string; total_bytes_processed?: number };
}

/** restic's JSON list as snapshots, oldest first. */
export function parseSnapshots(json: string): Snapshot[] {
  const raw = JSON.parse(json || "[]") as RawSnapshot[] | null;
  return (raw ?? [])
    .map((s) => {
      const start = s.summary?.backup_start ? Date.parse(s.summary.backup_start) : Number.NaN;
      const end = s.summary?.backup_end ? Date.parse(s.summary.backup_end) : Number.NaN;
      return {
        id: s.id,
        time: new Date(s.time),
        rawTime: s.time,
        paths: s.paths ?? [],
        hostname: s.hostname,
        tags: parseTags(s.tags),
        totalBytes: s.summary?.total_bytes_processed,
        durationSeconds: Number.isFinite(end - start) ? (end - start) / 1000 : undefined,
        ...(s.original ? { original: s.original } : {}),
      };
    })
    .sort((a, b) => a.time.getTime() - b.time.getTime());
}
