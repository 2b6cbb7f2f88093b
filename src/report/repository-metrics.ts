// Repository health: the last `restic check` and the last offsite copy. Set live, by the jobs; absent
// until known, so a new or restarted agent never reads as "check failed" or "offsite stale since 1970".
import type { Registry } from "prom-client";
import { LateGauge } from "./metrics.js";

export class RepositoryMetrics {
  readonly checkSuccess: LateGauge;
  readonly checkTimestamp: LateGauge;
  readonly offsiteLastSuccess: LateGauge;
  readonly offsiteCheckSuccess: LateGauge;
  readonly offsiteCheckTimestamp: LateGauge;

  constructor(registry: Registry) {
    this.checkSuccess = new LateGauge(registry, {
      name: "backup_repository_check_success",
      help: "1 when the last `restic check` of the local repository passed, 0 when it failed.",
    });
    this.checkTimestamp = new LateGauge(registry, {
      name: "backup_repository_check_timestamp_seconds",
      help: "When the last `restic check` of the local repository finished (Unix time).",
    });
    this.offsiteCheckSuccess = new LateGauge(registry, {
      name: "backup_offsite_check_success",
      help: "1 when the last `restic check` of the offsite repository (at verify) passed, 0 when it failed.",
    });
    this.offsiteCheckTimestamp = new LateGauge(registry, {
      name: "backup_offsite_check_timestamp_seconds",
      help: "When the last `restic check` of the offsite repository finished (Unix time).",
    });
    this.offsiteLastSuccess = new LateGauge(registry, {
      name: "backup_offsite_last_success_timestamp_seconds",
      help: "When the offsite repository last received a complete copy (Unix time).",
    });
  }

  /** The outcome of a check of the local (default) or the offsite repository. */
  checked(success: boolean, repository: "local" | "offsite" = "local", at = new Date()): void {
    const [ok, when] = repository === "local" ? [this.checkSuccess, this.checkTimestamp] : [this.offsiteCheckSuccess, this.offsiteCheckTimestamp];
    ok.set(success ? 1 : 0);
    when.set(at.getTime() / 1000);
  }
}
