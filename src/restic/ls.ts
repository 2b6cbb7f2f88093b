// `restic ls --json SNAPSHOT`, streamed line by line: what a snapshot holds below one path, counted.
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { type ResticEnv, spawnRestic } from "./command.js";
import { resticError, stderrSummary } from "./errors.js";

import { emptyCount, type TreeCount } from "./repository.js";

/** Go's os.FileMode bits for setuid, setgid and sticky, as Unix mode bits. */
const GO_MODE_BITS: [number, number][] = [
  [0x800000, 0o4000],
  [0x400000, 0o2000],
  [0x100000, 0o1000],
];

/** Adds one `ls --json` node to the count when it lies strictly below `root`; records `root` itself. */
export function countNode(count: TreeCount, line: string, root: string): void {
  if (!line.startsWith("{")) return;
  const node = JSON.parse(line) as { message_type?: string; type?: string; path?: string; size?: number; uid?: number; gid?: number; mode?: number; mtime?: string };
  if (node.message_type !== "node" || typeof node.path !== "string") return;
  if (node.path === root.replace(/\/+$/, "")) {
    const goMode = node.mode ?? 0o755;
    const mode = GO_MODE_BITS.reduce((m, [go, unix]) => (goMode & go ? m | unix : m), goMode & 0o777);
    count.root = { uid: node.uid ?? 0, gid: node.gid ?? 0, mode, mtime: node.mtime ?? new Date(0).toISOString() };
    return;
  }
  const prefix = root.endsWith("/") ? root : `${root}/`;
  if (!node.path.startsWith(prefix)) return;
  if (node.type === "file") {
    count.files++;
    count.bytes += node.size ?? 0;
  } else if (node.type === "dir") count.dirs++;
  else if (node.type === "symlink") count.symlinks++;
  else count.other++;
}

/** The snapshot's listing as JSON lines, streamed; `done` rejects with restic's typed error. */
export function listSnapshot(env: ResticEnv, snapshotId: string, signal: AbortSignal): { stdout: Readable; done: Promise<void> } {
  const child = spawnRestic(env, ["ls", "--json", "--no-lock", snapshotId], signal, {
    buffer: { stdout: false, stderr: true },
  });
  const done = (async () => {
    const result = await child;
    if (result.exitCode === 0) return;
    throw resticError(`ls ${snapshotId.slice(0, 8)}`, result.exitCode, stderrSummary(String(result.stderr)), {
      isCanceled: result.isCanceled,
      cause: result.isCanceled ? signal.reason : undefined,
    });
  })();
  done.catch(() => undefined);
  return { stdout: child.stdout as Readable, done };
}

/** Counts the files, directories and bytes the snapshot holds below `root` (its stored path). */
export async function countSnapshotTree(
  env: ResticEnv,
  snapshotId: string,
  root: string,
  signal: AbortSignal,
): Promise<TreeCount> {
  const listing = listSnapshot(env, snapshotId, signal);
  const count = emptyCount();
  let parseError: unknown;
  for await (const line of createInterface({ input: listing.stdout, crlfDelay: Infinity })) {
    try {
      countNode(count, line, root);
    } catch (error) {
      parseError ??= error;
    }
  }
  await listing.done;
  if (parseError) throw new Error(`restic ls ${snapshotId.slice(0, 8)}: unreadable output`, { cause: parseError });
  return count;
}
