// `restic backup <path>` of a directory (a volume), parsed from --json: the snapshot and its sizes.
import { BackupError } from "../core/errors.js";
import { type ResticEnv, runRestic } from "./command.js";
import { type Progress, parseStatusLine } from "./progress.js";

import type { PathBackupResult } from "./repository.js";

export interface PathBackupOptions {
  tags: readonly string[];
  host: string;
  /** Told restic's `--json` status lines as they come (four a second). */
  onProgress?: (p: Progress) => void;
}

/** Backs up one directory; rejects with the typed restic error (3 = partial) when restic fails. */
export async function backupPath(
  env: ResticEnv,
  path: string,
  options: PathBackupOptions,
  signal: AbortSignal,
): Promise<PathBackupResult> {
  const args = ["backup", "--json", "--host", options.host];
  if (options.tags.length) args.push("--tag", options.tags.join(","));
  const report = options.onProgress;
  if (!report) return parseBackupSummary(await runRestic(env, [...args, "--", path], signal));
  const fps = { ...env, extra: { ...env.extra, RESTIC_PROGRESS_FPS: "4" } };
  const stdout = await runRestic(fps, [...args, "--", path], signal, (line) => {
    const progress = parseStatusLine(line);
    if (progress) report(progress);
    return progress !== undefined;
  });
  return parseBackupSummary(stdout);
}

export function parseBackupSummary(stdout: string): PathBackupResult {
  for (const line of stdout.split("\n").reverse()) {
    if (!line.startsWith("{")) continue;
    try {
      const m = JSON.parse(line) as Record<string, unknown>;
      if (m.message_type === "summary" && typeof m.snapshot_id === "string") {
        return {
          snapshotId: m.snapshot_id,
          dataAdded: Number(m.data_added ?? 0),
          totalBytes: Number(m.total_bytes_processed ?? 0),
          totalFiles: Number(m.total_files_processed ?? 0),
        };
      }
    } catch {
      // a status line cut short: keep looking
    }
  }
  throw new BackupError("restic backup exited 0 without a summary naming the snapshot");
}
