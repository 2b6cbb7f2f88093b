// The configuration the agent runs with, as loadConfig() builds it from the environment.
import type { JobName } from "../core/job.js";
import type { CrontabEntry } from "./crontab.js";
import type { ListenAddress } from "./fields.js";
import type { RetentionPolicy } from "./retention.js";
import type { Secret } from "./secret.js";
import type { Setting } from "./settings.js";

export interface JobConfig {
  timeoutMs: number;
  /** Where this job's healthchecks pings go, or undefined for none. */
  healthcheck: Secret | undefined;
}

export interface Config {
  restic: { repository: Secret; repositoryDisplay: string; password: Secret; binary: string; host: string };
  schedule: { source: string; entries: CrontabEntry[] };
  targets: { project: string | undefined; expected: string[]; concurrency: number; checkSubset: string; hookTimeoutMs: number; walMaxRetained: string };
  meilisearch: { apiKey: Secret | undefined; pollIntervalMs: number; timeoutMs: number };
  timezone: string;
  http: ListenAddress | undefined;
  log: { level: string; format: "auto" | "json" | "pretty" };
  shutdownGraceMs: number;
  healthchecks: { timeoutMs: number; retries: number };
  jobs: Record<JobName, JobConfig>;
  volumes: { root: string; names: string[] };
  /** BACKUP_HELPER_IMAGE: the image of restore helpers; undefined: the agent's own, in a container. */
  helperImage: string | undefined;
  /** Policies of `--prune`: BACKUP_KEEP_* locally, BACKUP_OFFSITE_KEEP_* offsite. Empty: none set. */
  retention: { local: RetentionPolicy; offsite: RetentionPolicy };
  offsite:
    | {
        repository: Secret;
        repositoryDisplay: string;
        password: Secret;
        /** The s3 backend's variables (BACKUP_OFFSITE_AWS_*), named as restic reads them; undefined when none is set. */
        credentials: Record<string, Secret> | undefined;
      }
    | undefined;
  /** Thresholds of `status` (and /status). */
  status: { warnAfterMs: number; criticalAfterMs: number; verifyMaxAgeMs: number; offsiteMaxLagMs: number; walMaxLagMs: number; walWarnRetainedBytes: number };
  /** Every variable as resolved (secrets redacted), for check-config. */
  settings: Setting[];
  /** Settings that are valid but would do nothing, each named: logged at start. */
  warnings: string[];
}
