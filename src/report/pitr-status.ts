// The point-in-time-recovery part of the status report, from the repository's snapshots alone: per
// target, the window it can be recovered in (oldest base backup to newest archived WAL), how far the
// archive is behind (the real RPO), and how much WAL the slot held on the server at the last cut.
import type { Snapshot } from "../restic/repository.js";
import { KIND } from "../restic/tags.js";
import type { PitrStatus, Problem, StatusThresholds } from "./status-types.js";


/** Per target, newest first in each: the base backups' and WAL snapshots' times. */
export function pitrTimes(snapshots: readonly Snapshot[]): Map<string, { bases: Snapshot[]; walTimes: { time: Date; retained?: number }[] }> {
  const out = new Map<string, { bases: Snapshot[]; walTimes: { time: Date; retained?: number }[] }>();
  const entry = (target: string) => {
    const e = out.get(target) ?? { bases: [], walTimes: [] };
    out.set(target, e);
    return e;
  };
  for (const s of snapshots) {
    const target = s.tags.target;
    if (!target) continue;
    if (s.tags.kind === KIND.postgresBase) entry(target).bases.push(s);
    else if (s.tags.kind === KIND.postgresWal && s.tags["wal-time"]) {
      const retained = s.tags["slot-retained"] === undefined ? undefined : Number(s.tags["slot-retained"]);
      entry(target).walTimes.push({ time: new Date(s.tags["wal-time"]), retained });
    }
  }
  for (const e of out.values()) {
    e.bases.sort((a, b) => a.time.getTime() - b.time.getTime());
    e.walTimes.sort((a, b) => a.time.getTime() - b.time.getTime());
  }
  return out;
}

const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;
const span = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

export function pitrSection(snapshots: readonly Snapshot[], t: StatusThresholds, now: Date, problem: Problem): PitrStatus[] {
  const out: PitrStatus[] = [];
  for (const [target, { bases, walTimes }] of [...pitrTimes(snapshots)].sort(([a], [b]) => a.localeCompare(b))) {
    const newestWal = walTimes.at(-1);
    const newestBase = bases.at(-1);
    const lagMs = newestWal ? now.getTime() - newestWal.time.getTime() : undefined;
    const status: PitrStatus = {
      target,
      windowFrom: bases[0]?.time.toISOString(),
      windowTo: newestWal?.time.toISOString(),
      walLagSeconds: lagMs === undefined ? undefined : Math.round(lagMs / 1000),
      baseBackupAgeSeconds: newestBase ? Math.round((now.getTime() - newestBase.time.getTime()) / 1000) : undefined,
      baseBackups: bases.length,
      slotRetainedBytes: newestWal?.retained,
    };
    out.push(status);
    const name = `postgres/${target}`;
    if (!newestBase) problem("WARNING", `${name}: point-in-time recovery has no base backup yet (the basebackup job makes one)`);
    if (lagMs === undefined) problem("WARNING", `${name}: point-in-time recovery has no archived WAL yet (the wal job archives it)`);
    else if (lagMs > t.walMaxLagMs) problem("WARNING", `${name}: the WAL archive is ${span(lagMs)} behind (warning after ${span(t.walMaxLagMs)}): transactions since ${newestWal?.time.toISOString()} cannot be recovered yet`);
    if (newestWal?.retained !== undefined && newestWal.retained > t.walWarnRetainedBytes) {
      problem("WARNING", `${name}: the replication slot held ${mb(newestWal.retained)} of WAL on the server (warning above ${mb(t.walWarnRetainedBytes)})`);
    }
  }
  return out;
}
