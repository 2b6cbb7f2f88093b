// Per-target series (kind, target, database). Filled from the repository's snapshots at start, so a
// restart neither resets nor fakes them; updated live after each backup.
import { Counter, Gauge, type Registry } from "prom-client";
import type { Snapshot } from "../restic/repository.js";
import { DATA_KINDS } from "../restic/tags.js";

export interface TargetKey {
  kind: string;
  target: string;
  database: string;
}

export class TargetMetrics {
  readonly lastSuccess: Gauge;
  readonly lastSize: Gauge;
  readonly duration: Gauge;
  readonly failures: Counter;

  constructor(registry: Registry) {
    const labelNames = ["kind", "target", "database"];
    const registers = [registry];
    this.lastSuccess = new Gauge({
      name: "backup_target_last_success_timestamp_seconds",
      help: "Time of the newest snapshot of this target (Unix time), from the repository.",
      labelNames,
      registers,
    });
    this.lastSize = new Gauge({
      name: "backup_target_last_size_bytes",
      help: "Size of the newest backup of this target (the dump's bytes).",
      labelNames,
      registers,
    });
    this.duration = new Gauge({
      name: "backup_target_duration_seconds",
      help: "How long the newest backup of this target took.",
      labelNames,
      registers,
    });
    this.failures = new Counter({
      name: "backup_target_failures_total",
      help: "Failed backups of this target since the agent started.",
      labelNames,
      registers,
    });
  }

  success(key: TargetKey, at: Date, sizeBytes: number, durationSeconds: number): void {
    this.lastSuccess.set({ ...key }, at.getTime() / 1000);
    this.lastSize.set({ ...key }, sizeBytes);
    this.duration.set({ ...key }, durationSeconds);
    this.failures.inc({ ...key }, 0);
  }

  failure(key: TargetKey): void {
    this.failures.inc({ ...key });
  }

  /** Sets the gauges from the newest snapshot of each (kind, target, database). */
  fillFromSnapshots(snapshots: readonly Snapshot[]): number {
    const newest = new Map<string, Snapshot>();
    for (const s of snapshots) {
      if (!s.tags.kind || !s.tags.target || !DATA_KINDS.includes(s.tags.kind)) continue;
      newest.set(JSON.stringify([s.tags.kind, s.tags.target, s.tags.database ?? ""]), s);
    }
    for (const s of newest.values()) {
      const key = {
        kind: s.tags.kind as string,
        target: s.tags.target as string,
        database: s.tags.database ?? "",
      };
      this.success(key, s.time, s.totalBytes ?? 0, s.durationSeconds ?? 0);
    }
    return newest.size;
  }
}
