// Point-in-time recovery series per target: the newest archived WAL (the real recovery point), the WAL
// the replication slot held on the server, the newest base backup's time and size, and where the
// recoverable window starts. Filled from the repository at start, updated after each run.
import { Gauge, type Registry } from "prom-client";
import type { Snapshot } from "../restic/repository.js";
import { pitrTimes } from "./pitr-status.js";

export class PitrMetrics {
  readonly walArchived: Gauge;
  readonly slotRetained: Gauge;
  readonly baseBackupTime: Gauge;
  readonly baseBackupSize: Gauge;
  readonly windowStart: Gauge;

  constructor(registry: Registry) {
    const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ["target"], registers: [registry] });
    this.walArchived = gauge("backup_pitr_wal_archived_timestamp_seconds", "Everything this PITR target committed before this time (Unix time, the server's clock) is archived.");
    this.slotRetained = gauge("backup_pitr_slot_retained_bytes", "WAL the replication slot held back on the server at the newest archiving.");
    this.baseBackupTime = gauge("backup_pitr_base_backup_timestamp_seconds", "Time of the newest base backup of this PITR target (Unix time).");
    this.baseBackupSize = gauge("backup_pitr_base_backup_size_bytes", "Size of the newest base backup of this PITR target.");
    this.windowStart = gauge("backup_pitr_window_start_timestamp_seconds", "Time of the oldest base backup: recovery can reach any time from shortly after it.");
  }

  walStored(target: string, cutTime: Date, slotRetainedBytes: number): void {
    this.walArchived.set({ target }, cutTime.getTime() / 1000);
    this.slotRetained.set({ target }, slotRetainedBytes);
  }

  baseStored(target: string, at: Date, bytes: number): void {
    this.baseBackupTime.set({ target }, at.getTime() / 1000);
    this.baseBackupSize.set({ target }, bytes);
  }

  fillFromSnapshots(snapshots: readonly Snapshot[]): void {
    for (const [target, { bases, walTimes }] of pitrTimes(snapshots)) {
      const wal = walTimes.at(-1);
      if (wal) this.walStored(target, wal.time, wal.retained ?? 0);
      const newest = bases.at(-1);
      if (newest) this.baseStored(target, newest.time, newest.totalBytes ?? 0);
      if (bases[0]) this.windowStart.set({ target }, bases[0].time.getTime() / 1000);
    }
  }
}
