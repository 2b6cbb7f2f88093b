// `restic ls --json SNAPSHOT`, streamed line by line: what a snapshot holds below one path, counted.
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { type ResticEnv, spawnRestic } from "./command.js";
import { resticError, stderrSummary } from "./errors.js";

import { emptyCount, type TreeCount } from "./repository.js";

/** Adds one `ls --json` node to the count when it lies strictly below `root`. */
export function countNode(count: TreeCount, line: string, root: string): void {
  if (!line.startsWith("{")) return;
  const node = JSON.parse(line) as { message_type?: string; type?: string; path?: string; size?: number };
  if (node.message_type !== "node" || typeof node.path !== "string") return;
  const prefix = root.endsWith("/") ? root : `${root}/`;
  if (!node.path.startsWith(prefix)) return;
  if (node.type === "file") {
    count.files++;
    count.bytes += node.size ?? 0;
  } else if (node.type === "dir") count.dirs++;
  else if (node.type === "symlink") count.symlinks++;
  else count.other++;
}

/** Counts the files, directories and bytes the snapshot holds below `root` (its stored path). */
export async function countSnapshotTree(
  env: ResticEnv,
  snapshotId: string,
  root: string,
  signal: AbortSignal,
): Promise<TreeCount> {
  const child = spawnRestic(env, ["ls", "--json", "--no-lock", snapshotId], signal, {
    buffer: { stdout: false, stderr: true },
  });
  const count = emptyCount();
  let parseError: unknown;
  const lines = createInterface({ input: child.stdout as Readable, crlfDelay: Infinity });
  for await (const line of lines) {
    try {
      countNode(count, line, root);
    } catch (error) {
      parseError ??= error;
    }
  }
  const result = await child;
  if (result.exitCode !== 0) {
    throw resticError(`ls ${snapshotId.slice(0, 8)}`, result.exitCode, stderrSummary(String(result.stderr)), {
      isCanceled: result.isCanceled,
      cause: result.isCanceled ? signal.reason : undefined,
    });
  }
  if (parseError) throw new Error(`restic ls ${snapshotId.slice(0, 8)}: unreadable output`, { cause: parseError });
  return count;
}
