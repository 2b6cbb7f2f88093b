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

/**
 * Whether `s` is the snapshot a manifest recorded as `recorded` (a full id or a prefix of at least 8
 * characters): itself, or its copy in another repository (`restic copy` gives copies new ids and
 * keeps the recorded one as `original`), so an offsite copy verifies and restores like the local one.
 */
export function isRecordedSnapshot(s: Snapshot, recorded: string): boolean {
  const ids = s.original ? [s.id, s.original] : [s.id];
  return ids.some((id) => id === recorded || (recorded.length >= 8 && id.startsWith(recorded)) || (id.length >= 8 && recorded.startsWith(id)));
}

/** The snapshot a manifest names: by full id, or by a prefix of at least 8 characters (or its copy). */
export function snapshotById(snapshots: readonly Snapshot[], id: string): Snapshot | undefined {
  return snapshots.find((s) => s.id === id || s.original === id) ?? snapshots.find((s) => isRecordedSnapshot(s, id));
}
