// `restic restore SNAPSHOT:PATH --target DIR`: the files below a snapshot's stored path, restored
// into DIR (optionally deleting what the snapshot does not hold), with progress from --json.
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { type ResticEnv, spawnRestic } from "./command.js";
import { resticError, stderrSummary } from "./errors.js";
import { parseStatusLine } from "./progress.js";
import type { RestoreOptions, RestoreSummary } from "./repository.js";

export async function restoreSnapshot(
  env: ResticEnv,
  options: RestoreOptions,
  signal: AbortSignal,
): Promise<RestoreSummary> {
  const args = ["restore", "--json", `${options.snapshotId}:${options.path}`, "--target", options.target];
  if (options.exact) args.push("--delete", "--overwrite", "always");
  if (options.verify) args.push("--verify");
  const child = spawnRestic(
    options.onProgress ? { ...env, extra: { ...env.extra, RESTIC_PROGRESS_FPS: "4" } } : env,
    args,
    signal,
    { buffer: { stdout: false, stderr: true } },
  );
  const summary: RestoreSummary = { filesRestored: 0, bytesRestored: 0, filesDeleted: 0 };
  for await (const line of createInterface({ input: child.stdout as Readable, crlfDelay: Infinity })) {
    const progress = parseStatusLine(line);
    if (progress) {
      options.onProgress?.(progress);
      continue;
    }
    if (!line.includes('"summary"')) continue;
    try {
      const m = JSON.parse(line) as Record<string, number | string>;
      if (m.message_type !== "summary") continue;
      summary.filesRestored = Number(m.files_restored ?? 0);
      summary.bytesRestored = Number(m.bytes_restored ?? 0);
      summary.filesDeleted = Number(m.files_deleted ?? 0);
    } catch {
      // not a summary after all
    }
  }
  const result = await child;
  if (result.exitCode !== 0) {
    const stderr = String(result.stderr);
    const first = firstItemError(stderr);
    throw resticError(
      `restore ${options.snapshotId.slice(0, 8)}`,
      result.exitCode,
      `${stderrSummary(stderr)}${first ? `; first error: ${first}` : ""}`,
      { isCanceled: result.isCanceled, cause: result.isCanceled ? signal.reason : undefined },
    );
  }
  return summary;
}

/** The first per-file error restic reported (`{"message_type":"error","item":…}`), as `item: message`. */
export function firstItemError(stderr: string): string | undefined {
  for (const line of stderr.split("\n")) {
    if (!line.startsWith('{"message_type":"error"')) continue;
    try {
      const m = JSON.parse(line) as { item?: string; error?: { message?: string } };
      return `${m.item ?? "?"}: ${m.error?.message ?? "unknown error"}`.slice(0, 500);
    } catch {
      // cut short: keep looking
    }
  }
  return undefined;
}
