// Repository health: the last `restic check` and the last offsite copy. Set live, by the jobs.
import { Gauge, type Registry } from "prom-client";

export class RepositoryMetrics {
  readonly checkSuccess: Gauge;
  readonly checkTimestamp: Gauge;
  readonly offsiteLastSuccess: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.checkSuccess = new Gauge({
      name: "backup_repository_check_success",
      help: "1 when the last `restic check` of the local repository passed, 0 when it failed.",
      registers,
    });
    this.checkTimestamp = new Gauge({
      name: "backup_repository_check_timestamp_seconds",
      help: "When the last `restic check` of the local repository finished (Unix time).",
      registers,
    });
    this.offsiteLastSuccess = new Gauge({
      name: "backup_offsite_last_success_timestamp_seconds",
      help: "When the offsite repository last received a complete copy (Unix time).",
      registers,
    });
  }

  checked(success: boolean, at = new Date()): void {
    this.checkSuccess.set(success ? 1 : 0);
    this.checkTimestamp.set(at.getTime() / 1000);
  }
}
