// Counts what a restored directory holds, the same way `restic ls` nodes are counted (lstat: a
// symlink is counted, never followed).
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { emptyCount, type TreeCount } from "../../restic/repository.js";

export async function countDirectory(root: string, signal: AbortSignal): Promise<TreeCount> {
  const count = emptyCount();
  const walk = async (dir: string): Promise<void> => {
    signal.throwIfAborted();
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        count.dirs++;
        await walk(path);
      } else if (entry.isFile()) {
        count.files++;
        count.bytes += (await lstat(path)).size;
      } else if (entry.isSymbolicLink()) count.symlinks++;
      else count.other++;
    }
  };
  await walk(root);
  return count;
}

/** What differs between two counts, as a sentence; undefined when equal. */
export function compareCounts(stored: TreeCount, restored: TreeCount): string | undefined {
  const parts: string[] = [];
  if (stored.files !== restored.files) parts.push(`${restored.files} files restored but ${stored.files} in the snapshot`);
  if (stored.bytes !== restored.bytes) parts.push(`${restored.bytes} bytes restored but ${stored.bytes} in the snapshot`);
  if (stored.dirs !== restored.dirs) parts.push(`${restored.dirs} directories restored but ${stored.dirs} in the snapshot`);
  if (stored.symlinks !== restored.symlinks)
    parts.push(`${restored.symlinks} symlinks restored but ${stored.symlinks} in the snapshot`);
  return parts.length ? parts.join(", ") : undefined;
}
