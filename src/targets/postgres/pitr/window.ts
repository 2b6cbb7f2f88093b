// What a point-in-time-recovery target can be brought back to, from its snapshots alone: the base
// backup a time starts from, the WAL snapshots that carry it forward, and the segments they must hold
// with no gap. A time outside the window, or a missing segment, is refused naming the window.
import { BackupError } from "../../../core/errors.js";
import type { Repository, Snapshot } from "../../../restic/repository.js";
import { isRecordedSnapshot } from "../../../restic/select.js";
import { KIND } from "../../../restic/tags.js";
import { readManifest } from "../../manifest.js";
import type { BaseBackupFacts } from "./base.js";

export interface WalSnapshot {
  snapshot: Snapshot;
  /** Everything committed before this time is in it or in earlier WAL snapshots. */
  cutTime: Date;
  first?: string;
  last?: string;
}

export interface RecoveryPlan {
  base: Snapshot;
  facts: BaseBackupFacts;
  /** In archive order; the last one's .partial segment is the newest WAL. */
  wal: WalSnapshot[];
}

export function walSnapshots(snapshots: readonly Snapshot[], target: string): WalSnapshot[] {
  return snapshots
    .filter((s) => s.tags.kind === KIND.postgresWal && s.tags.target === target && s.tags["wal-time"])
    .map((s) => ({ snapshot: s, cutTime: new Date(s.tags["wal-time"] as string), first: s.tags["wal-first"], last: s.tags["wal-last"] }))
    .sort((a, b) => a.cutTime.getTime() - b.cutTime.getTime());
}

export function baseSnapshots(snapshots: readonly Snapshot[], target: string): Snapshot[] {
  return snapshots.filter((s) => s.tags.kind === KIND.postgresBase && s.tags.target === target).sort((a, b) => a.time.getTime() - b.time.getTime());
}

/** The window as words: "from <oldest base backup> to <newest archived WAL>". */
export function describeWindow(bases: readonly Snapshot[], wal: readonly WalSnapshot[]): string {
  const from = bases[0]?.time.toISOString();
  const to = wal.at(-1)?.cutTime.toISOString();
  if (!from) return "no base backup exists yet";
  if (!to) return `no WAL is archived yet (base backups from ${from})`;
  return `from about ${from} to ${to}`;
}

/** The next segment's name: the log number's low part counts up to the segments per 4 GiB, then carries. */
export function nextSegment(name: string, segmentBytes: number): string {
  const perLog = 0x100000000 / segmentBytes;
  const tli = name.slice(0, 8);
  let log = Number.parseInt(name.slice(8, 16), 16);
  let seg = Number.parseInt(name.slice(16, 24), 16) + 1;
  if (seg >= perLog) {
    seg = 0;
    log += 1;
  }
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, "0");
  return `${tli}${hex(log)}${hex(seg)}`;
}

/**
 * The base backup and WAL snapshots that recover `target` to `at`. Refuses a time before the oldest
 * consistent base backup or after the newest archived WAL, and an archive with a missing segment.
 */
export async function planRecovery(repository: Repository, snapshots: readonly Snapshot[], target: string, at: Date, signal: AbortSignal): Promise<RecoveryPlan> {
  const bases = baseSnapshots(snapshots, target);
  const wal = walSnapshots(snapshots, target);
  const window = `the recoverable window of ${target} is ${describeWindow(bases, wal)}`;
  const newest = wal.at(-1);
  if (!newest || newest.cutTime < at) throw new BackupError(`${at.toISOString()} is after the newest archived WAL: ${window}`, { target });
  for (const base of bases.filter((b) => b.time <= at).reverse()) {
    const found = await readManifest(repository, snapshots, { kind: KIND.postgresBase, target, run: base.tags.run }, signal);
    // By id, or by the recorded one in a copy (the offsite repository's snapshots have new ids).
    const entry = found?.manifest.files.find((f) => isRecordedSnapshot(base, f.snapshot));
    if (!entry) continue;
    const facts = entry as unknown as BaseBackupFacts;
    if (new Date(facts.consistentAt) > at) continue;
    // Up to the first cut at or after the time (its .partial holds the newest WAL), and of the
    // earlier ones those with complete segments from the base backup's first on.
    const cover = wal.findIndex((w) => w.cutTime >= at);
    const needed = wal.slice(0, cover + 1).filter((w, i) => i === cover || (w.last ?? "") >= facts.startSegment);
    checkContiguous(needed, facts, window);
    return { base, facts, wal: needed };
  }
  throw new BackupError(`${at.toISOString()} is before the oldest base backup that is consistent by then: ${window}`, { target });
}

/** Every segment from the base backup's first to the newest one the plan reaches, with no gap. */
function checkContiguous(wal: readonly WalSnapshot[], facts: BaseBackupFacts, window: string): void {
  const have = new Set<string>();
  for (const w of wal) {
    if (!w.first || !w.last) continue;
    for (let s = w.first; s <= w.last; s = nextSegment(s, facts.segmentBytes)) have.add(s);
  }
  const newest = [...have].sort().at(-1);
  if (!newest) return;
  for (let s = facts.startSegment; s < newest; s = nextSegment(s, facts.segmentBytes)) {
    if (!have.has(s) && s.slice(0, 8) === newest.slice(0, 8)) {
      throw new BackupError(`WAL segment ${s} is missing from the archive: no time after it can be recovered from this base backup; ${window}`);
    }
  }
}
