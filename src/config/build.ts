// Validated variables -> the Config the agent runs with: ping URLs, per-job timeouts, policies.
import { JOB_NAMES, type JobName } from "../core/job.js";
import type { CrontabEntry } from "./crontab.js";
import type { ListenAddress } from "./fields.js";
import type { Config, JobConfig } from "./config.js";
import { redact } from "./redact.js";
import type { RetentionPolicy } from "./retention.js";
import { KEEP_KEYS, OFFSITE_S3_VARIABLES } from "./schema.js";
import { Secret } from "./secret.js";

type Values = Record<string, unknown>;

export function buildConfig(
  v: Values,
  schedule: Config["schedule"] & { entries: CrontabEntry[] },
  timezone: string,
  expected: string[],
): Omit<Config, "settings" | "warnings"> {
  const repository = v.RESTIC_REPOSITORY as string;
  const offsite = v.BACKUP_OFFSITE_REPOSITORY as string | undefined;
  return {
    restic: {
      repository: Secret.location(repository),
      repositoryDisplay: redact(repository),
      password: v.RESTIC_PASSWORD as Secret,
      binary: v.RESTIC_BINARY as string,
      host: v.BACKUP_HOST as string,
    },
    schedule,
    targets: {
      project: v.BACKUP_COMPOSE_PROJECT as string | undefined,
      expected,
      concurrency: v.BACKUP_CONCURRENCY as number,
      checkSubset: v.BACKUP_CHECK_SUBSET as string,
      hookTimeoutMs: v.BACKUP_HOOK_TIMEOUT as number,
      walMaxRetained: v.BACKUP_WAL_MAX_RETAINED as string,
    },
    meilisearch: {
      apiKey: v.BACKUP_MEILI_API_KEY as Secret | undefined,
      pollIntervalMs: v.BACKUP_MEILI_POLL_INTERVAL as number,
      timeoutMs: v.BACKUP_MEILI_TIMEOUT as number,
    },
    timezone,
    http: v.BACKUP_HTTP_LISTEN as ListenAddress | undefined,
    log: { level: v.BACKUP_LOG_LEVEL as string, format: v.BACKUP_LOG_FORMAT as Config["log"]["format"] },
    shutdownGraceMs: v.BACKUP_SHUTDOWN_GRACE as number,
    healthchecks: { timeoutMs: v.BACKUP_HC_TIMEOUT as number, retries: v.BACKUP_HC_RETRIES as number },
    jobs: jobs(v),
    volumes: {
      root: v.BACKUP_VOLUMES_ROOT as string,
      names: ((v.BACKUP_VOLUMES as string | undefined) ?? "")
        .split(",")
        .map((n) => n.trim())
        .filter(Boolean),
    },
    helperImage: v.BACKUP_HELPER_IMAGE as string | undefined,
    retention: { local: policy(v, "BACKUP_KEEP_"), offsite: policy(v, "BACKUP_OFFSITE_KEEP_") },
    status: {
      warnAfterMs: v.BACKUP_STATUS_WARN_AFTER as number,
      criticalAfterMs: v.BACKUP_STATUS_CRITICAL_AFTER as number,
      verifyMaxAgeMs: v.BACKUP_STATUS_VERIFY_MAX_AGE as number,
      offsiteMaxLagMs: v.BACKUP_STATUS_OFFSITE_MAX_LAG as number,
      walMaxLagMs: v.BACKUP_WAL_MAX_LAG as number,
      walWarnRetainedBytes: sizeBytes(v.BACKUP_WAL_WARN_RETAINED as string),
    },
    offsite:
      offsite === undefined
        ? undefined
        : {
            repository: Secret.location(offsite),
            repositoryDisplay: redact(offsite),
            password: v.BACKUP_OFFSITE_PASSWORD as Secret,
            credentials: offsiteCredentials(v),
          },
  };
}

/** Each job's timeout and check: its own URL, else `<base>/<ping key>/<slug>` (+ ?create=1). */
function jobs(v: Values): Record<JobName, JobConfig> {
  const out = {} as Record<JobName, JobConfig>;
  const pingKey = v.BACKUP_HC_PING_KEY as Secret | undefined;
  const base = (v.BACKUP_HC_BASE_URL as string).replace(/\/?$/, "/");
  for (const job of JOB_NAMES) {
    const upper = job.toUpperCase();
    const url = v[`BACKUP_HC_${upper}_URL`] as string | undefined;
    const slug = (v[`BACKUP_HC_${upper}_SLUG`] as string | undefined) ?? `backup-agent-${job}`;
    let healthcheck: Secret | undefined;
    if (url !== undefined) healthcheck = new Secret(url.replace(/\/$/, ""));
    else if (pingKey) {
      const create = v.BACKUP_HC_CREATE ? "?create=1" : "";
      healthcheck = new Secret(`${base}${pingKey.reveal()}/${encodeURIComponent(slug)}${create}`);
    }
    out[job] = {
      timeoutMs: (v[`BACKUP_${upper}_TIMEOUT`] as number | undefined) ?? (v.BACKUP_JOB_TIMEOUT as number),
      healthcheck,
    };
  }
  return out;
}

function policy(v: Values, prefix: string): RetentionPolicy {
  const out: RetentionPolicy = {};
  for (const key of KEEP_KEYS) {
    const value = v[`${prefix}${key}`];
    if (value === undefined) continue;
    if (key === "WITHIN") out.within = value as string;
    else out[key.toLowerCase() as Exclude<keyof RetentionPolicy, "within">] = value as number;
  }
  return out;
}

/** The s3 backend's variables (BACKUP_OFFSITE_AWS_*) under the names restic reads; undefined when none is set. */
function offsiteCredentials(v: Values): Record<string, Secret> | undefined {
  const out: Record<string, Secret> = {};
  for (const name of OFFSITE_S3_VARIABLES) {
    const value = v[`BACKUP_OFFSITE_${name}`] as Secret | string | undefined;
    // The region is a plain setting: kept in the same map, but never registered as a secret.
    if (value !== undefined) out[name] = typeof value === "string" ? new Secret(value, "credentials") : value;
  }
  return Object.keys(out).length ? out : undefined;
}

/** A PostgreSQL size (`500MB`, `8GB`, `1TB`) in bytes. */
export function sizeBytes(text: string): number {
  const m = /^(\d+)(MB|GB|TB)$/.exec(text);
  const unit = { MB: 2 ** 20, GB: 2 ** 30, TB: 2 ** 40 }[m?.[2] as "MB" | "GB" | "TB"];
  return Number(m?.[1]) * unit;
}
