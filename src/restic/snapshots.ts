// `restic snapshots --json`, parsed: the repository is the source of truth for what was backed up.
import { type ResticEnv, runRestic } from "./command.js";
import { AGENT_TAG, parseTags } from "./tags.js";

export interface Snapshot {
  id: string;
  time: Date;
  paths: string[];
  hostname: string;
  tags: Record<string, string>;
  /** Bytes read from the source (the dump's size for a stdin snapshot), when restic recorded it. */
  totalBytes?: number;
  durationSeconds?: number;
}

interface RawSnapshot {
  id: string;
  time: string;
  paths?: string[];
  hostname: string;
  tags?: string[];
  summary?: { backup_start?: string; backup_end?: string; total_bytes_processed?: number };
}

/** Every snapshot the agent made (tag backup-agent), oldest first. */
export async function listSnapshots(env: ResticEnv, signal: AbortSignal): Promise<Snapshot[]> {
  const out = await runRestic(env, ["snapshots", "--json", "--no-lock", "--tag", AGENT_TAG], signal);
  const raw = JSON.parse(out || "[]") as RawSnapshot[] | null;
  return (raw ?? [])
    .map((s) => {
      const start = s.summary?.backup_start ? Date.parse(s.summary.backup_start) : Number.NaN;
      const end = s.summary?.backup_end ? Date.parse(s.summary.backup_end) : Number.NaN;
      return {
        id: s.id,
        time: new Date(s.time),
        paths: s.paths ?? [],
        hostname: s.hostname,
        tags: parseTags(s.tags),
        totalBytes: s.summary?.total_bytes_processed,
        durationSeconds: Number.isFinite(end - start) ? (end - start) / 1000 : undefined,
      };
    })
    .sort((a, b) => a.time.getTime() - b.time.getTime());
}
