// Choosing snapshots: the newest matching some tags (at or before a time), one by id prefix, a run's.
import type { Snapshot } from "./repository.js";

/**
 * The newest snapshot matching every tag, at or before `at` when given (restic's snapshot times).
 * Snapshots need not be sorted; of equal times the later in the list wins.
 */
export function newestAtOrBefore(
  snapshots: readonly Snapshot[],
  tags: Record<string, string>,
  at?: Date,
  where: (s: Snapshot) => boolean = () => true,
): Snapshot | undefined {
  let best: Snapshot | undefined;
  for (const s of snapshots) {
    if (!Object.entries(tags).every(([k, v]) => s.tags[k] === v) || !where(s)) continue;
    if (at && s.time.getTime() > at.getTime()) continue;
    if (!best || s.time.getTime() >= best.time.getTime()) best = s;
  }
  return best;
}

/** A snapshot id given on the command line matches by prefix (at least 8 characters), like restic's. */
export function findSnapshot(snapshots: readonly Snapshot[], id: string): Snapshot | undefined {
  if (id.length < 8) return undefined;
  const found = snapshots.filter((s) => s.id.startsWith(id));
  return found.length === 1 ? found[0] : undefined;
}

/** The snapshot a manifest names: by full id, or by a prefix of at least 8 characters. */
export function snapshotById(snapshots: readonly Snapshot[], id: string): Snapshot | undefined {
  return snapshots.find((s) => s.id === id) ?? (id.length >= 8 ? snapshots.find((s) => s.id.startsWith(id)) : undefined);
}
