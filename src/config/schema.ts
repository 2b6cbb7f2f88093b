// Every environment variable the agent reads, with its schema and its one-line documentation.
// Longer than most files on purpose: one table of every variable is what the README and check-config mirror.
import type { z } from "zod";
import { JOB_NAMES } from "../core/job.js";
import * as f from "./fields.js";
import { subsetProblem } from "./subset.js";

/** The kinds of target a `kind/name` in BACKUP_EXPECTED_TARGETS may name (the kind registry's names). */
export const TARGET_KINDS = ["postgres", "meilisearch", "exec", "volume"] as const;

/** restic settings of the agent's own environment that reach restic unchanged; other RESTIC_* do not. */
export const RESTIC_PASSED_THROUGH: readonly string[] = ["RESTIC_CACHE_DIR", "RESTIC_COMPRESSION", "RESTIC_PACK_SIZE", "RESTIC_READ_CONCURRENCY"];

/** Thresholds of `status` are compared with ages, never set as timers: a year is a fine maximum. */
const THRESHOLD_MAX_MS = 366 * 86_400_000;

export interface VariableSpec {
  readonly schema: z.ZodType;
  readonly doc: string;
  readonly fallback?: string;
  /** Shown redacted everywhere; also read from NAME_FILE. */
  readonly secret?: boolean;
  /** Also read from NAME_FILE (implied by secret). */
  readonly file?: boolean;
}

const jobVariables: Record<string, VariableSpec> = {};
/** A size in PostgreSQL's units (`500MB`, `8GB`, `1TB`). */
function pgSize(fallback: string) {
  return f
    .text()
    .default(fallback)
    .superRefine((v, ctx) => {
      if (!/^[1-9]\d{0,6}(?:MB|GB|TB)$/.test(v)) ctx.addIssue({ code: "custom", message: `expected a size such as 8GB or 500MB (PostgreSQL's units MB, GB, TB); got "${v}"` });
    });
}

for (const job of JOB_NAMES) {
  const upper = job.toUpperCase();
  jobVariables[`BACKUP_${upper}_TIMEOUT`] = {
    schema: f.optionalDuration(),
    doc: `Timeout of one \`${job}\` run; overrides BACKUP_JOB_TIMEOUT.`,
  };
  jobVariables[`BACKUP_HC_${upper}_URL`] = {
    schema: f.httpUrl().optional(),
    doc: `healthchecks.io check URL for \`${job}\` (e.g. https://hc-ping.com/<uuid>).`,
    secret: true,
  };
  jobVariables[`BACKUP_HC_${upper}_SLUG`] = {
    schema: f.optionalText(),
    fallback: `backup-agent-${job}`,
    doc: `Check slug for \`${job}\` when BACKUP_HC_PING_KEY is set.`,
  };
}

/** Retention keys, shared by the local (BACKUP_KEEP_*) and offsite (BACKUP_OFFSITE_KEEP_*) policies. */
export const KEEP_KEYS = ["LAST", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY", "WITHIN"] as const;
export type KeepKey = (typeof KEEP_KEYS)[number];

function retentionVariables(prefix: string, where: string): Record<string, VariableSpec> {
  const out: Record<string, VariableSpec> = {};
  for (const key of KEEP_KEYS) {
    const flag = `--keep-${key.toLowerCase()}`;
    out[`${prefix}${key}`] =
      key === "WITHIN"
        ? {
            schema: f.optionalResticDuration(),
            doc: `Retention ${where}: \`restic forget ${flag}\` (e.g. \`14d\`, \`1y6m\`); keeps every snapshot that recent.`,
          }
        : {
            schema: f.optionalInteger(1, 100_000),
            doc: `Retention ${where}: \`restic forget ${flag}\` per target.`,
          };
  }
  return out;
}

/** restic's s3 backend variables for the offsite repository alone: BACKUP_OFFSITE_<restic's name>. */
export const OFFSITE_S3_VARIABLES = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"] as const;

function offsiteS3Variables(): Record<string, VariableSpec> {
  const docs: Record<(typeof OFFSITE_S3_VARIABLES)[number], string> = {
    AWS_ACCESS_KEY_ID: "Access key id of an `s3:` offsite repository",
    AWS_SECRET_ACCESS_KEY: "Secret access key of an `s3:` offsite repository (required with the key id)",
    AWS_SESSION_TOKEN: "Session token of temporary credentials for an `s3:` offsite repository",
    AWS_DEFAULT_REGION: "Region of an `s3:` offsite repository (e.g. `eu-central-1`; `auto` for Cloudflare R2)",
  };
  const out: Record<string, VariableSpec> = {};
  for (const name of OFFSITE_S3_VARIABLES) {
    const secret = name !== "AWS_DEFAULT_REGION";
    out[`BACKUP_OFFSITE_${name}`] = {
      schema: secret ? f.secret().optional() : f.optionalText(),
      doc: `${docs[name]}; reaches only the offsite repository's restic, as \`${name}\` in its environment.`,
      secret,
    };
  }
  return out;
}

export const VARIABLES: Record<string, VariableSpec> = {
  RESTIC_REPOSITORY: {
    schema: f.text(),
    doc: "Local restic repository (a path, or any restic backend such as `rest:http://host:8000/`). Required.",
    file: true,
  },
  RESTIC_PASSWORD: { schema: f.secret(), doc: "Password of the repository. Required.", secret: true },
  RESTIC_BINARY: {
    schema: f.text().default("restic"),
    fallback: "restic",
    doc: "The restic executable (0.18 or newer).",
  },
  BACKUP_HOST: {
    schema: f.text().default("backup-agent"),
    fallback: "backup-agent",
    doc: "The restic `--host` of every snapshot. Keep it stable: retention groups by it.",
  },
  BACKUP_COMPOSE_PROJECT: {
    schema: f.optionalText(),
    fallback: "the agent's own Compose project, else every project",
    doc: "Which Compose project's labelled containers are targets: a project name, or `*` for all.",
  },
  BACKUP_EXPECTED_TARGETS: {
    schema: f.optionalText(),
    doc: "Targets that must exist, as `kind/name` (e.g. `postgres/db,postgres/auth-db`): a missing one fails the run.",
  },
  BACKUP_CONCURRENCY: {
    schema: f.integer(1, 16, 2),
    fallback: "2",
    doc: "How many targets are backed up at once.",
  },
  BACKUP_CHECK_SUBSET: {
    schema: f
      .text()
      .default("5%")
      .superRefine((v, ctx) => {
        const problem = subsetProblem(v);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    fallback: "5%",
    doc: "What `backup --check` and `verify` read: `restic check --read-data-subset` (`5%`, `1/7`, `500M`).",
  },
  BACKUP_MEILI_API_KEY: {
    schema: f.secret().optional(),
    fallback: "each container's own `MEILI_MASTER_KEY`",
    doc: "API key for every Meilisearch target; it needs the `snapshots.create` and `tasks.get` actions.",
    secret: true,
  },
  BACKUP_MEILI_POLL_INTERVAL: {
    schema: f.duration("5s"),
    fallback: "5s",
    doc: "How often a Meilisearch snapshot task is polled.",
  },
  BACKUP_MEILI_TIMEOUT: {
    schema: f.duration("120s"),
    fallback: "120s",
    doc: "How long a Meilisearch snapshot task may take before its target fails.",
  },
  BACKUP_WAL_MAX_RETAINED: {
    schema: pgSize("8GB"),
    fallback: "8GB",
    doc: "Point-in-time recovery: the `max_slot_wal_keep_size` the agent sets (ALTER SYSTEM) on a target that leaves it unlimited, so that WAL held for an agent that is gone cannot fill the database's disk.",
  },
  BACKUP_WAL_MAX_LAG: {
    schema: f.duration("5m", THRESHOLD_MAX_MS),
    fallback: "5m",
    doc: "`status` is WARNING when a point-in-time-recovery target's newest archived WAL is older than this (the recovery point objective).",
  },
  BACKUP_WAL_WARN_RETAINED: {
    schema: pgSize("2GB"),
    fallback: "2GB",
    doc: "`status` is WARNING when a point-in-time-recovery target's replication slot held more WAL than this on the server at the last archiving.",
  },
  BACKUP_HOOK_TIMEOUT: {
    schema: f.duration("5m"),
    fallback: "5m",
    doc: "How long one pre- or post-hook may take, unless its container's `backup-agent.hook.timeout` label says otherwise.",
  },
  BACKUP_STATUS_WARN_AFTER: {
    schema: f.duration("25h", THRESHOLD_MAX_MS),
    fallback: "25h",
    doc: "`status` is WARNING when a target's newest backup is older than this.",
  },
  BACKUP_STATUS_CRITICAL_AFTER: {
    schema: f.duration("50h", THRESHOLD_MAX_MS),
    fallback: "50h",
    doc: "`status` is CRITICAL when a target's newest backup is older than this (or there is no backup at all).",
  },
  BACKUP_STATUS_VERIFY_MAX_AGE: {
    schema: f.duration("8d", THRESHOLD_MAX_MS),
    fallback: "8d",
    doc: "`status` is WARNING when the last verify is older than this (or never ran while backups are older).",
  },
  BACKUP_STATUS_OFFSITE_MAX_LAG: {
    schema: f.duration("50h", THRESHOLD_MAX_MS),
    fallback: "50h",
    doc: "`status` is WARNING when the offsite repository's newest backup is this far behind the local one.",
  },
  BACKUP_CRONTAB: {
    schema: f.optionalText(),
    fallback: "(the embedded schedule, see crontab.example)",
    doc: "Path of the schedule file.",
  },
  BACKUP_TIMEZONE: {
    schema: f.optionalTimezone(),
    fallback: "$TZ, else UTC",
    doc: "Time zone the schedule runs in.",
  },
  BACKUP_HTTP_LISTEN: {
    schema: f.listenAddress(f.DEFAULT_HTTP_LISTEN),
    fallback: `${f.DEFAULT_HTTP_LISTEN} (the image: 0.0.0.0:9180)`,
    doc: "Address of the status page, `/metrics`, `/healthz` and `/status` (daemon only); `off` disables it.",
  },
  BACKUP_LOG_LEVEL: {
    schema: f.oneOf(["trace", "debug", "info", "warn", "error", "fatal"], "info"),
    fallback: "info",
    doc: "Log level.",
  },
  BACKUP_LOG_FORMAT: {
    schema: f.oneOf(["auto", "json", "pretty"], "auto"),
    fallback: "auto",
    doc: "`json` lines, `pretty` text, or `auto` (pretty on a TTY, else JSON).",
  },
  BACKUP_JOB_TIMEOUT: { schema: f.duration("6h"), fallback: "6h", doc: "Timeout of one run of any job." },
  BACKUP_SHUTDOWN_GRACE: {
    schema: f.duration("60s"),
    fallback: "60s",
    doc: "On SIGTERM/SIGINT, how long running jobs may finish before they are aborted.",
  },
  BACKUP_HC_BASE_URL: {
    schema: f.httpUrl().default("https://hc-ping.com/"),
    fallback: "https://hc-ping.com/",
    doc: "Ping base for ping-key checks (self-hosted: `https://hc.example.com/ping/`).",
  },
  BACKUP_HC_PING_KEY: {
    schema: f.secret().optional(),
    doc: "Project ping key: each job pings `<base>/<key>/<slug>`.",
    secret: true,
  },
  BACKUP_HC_CREATE: {
    schema: f.boolean(false),
    fallback: "false",
    doc: "With a ping key, create missing checks (`?create=1`).",
  },
  BACKUP_HC_TIMEOUT: {
    // A ping must never hold up a run: a CLI run waits twice this for its last pings.
    schema: f.duration("10s", 3_600_000),
    fallback: "10s",
    doc: "Timeout of one ping attempt (at most 1h).",
  },
  BACKUP_HC_RETRIES: {
    schema: f.integer(0, 10, 3),
    fallback: "3",
    doc: "Retries of a failed ping, with exponential backoff.",
  },
  BACKUP_VOLUMES_ROOT: {
    schema: f.absolutePath("/volumes"),
    fallback: "/volumes",
    doc: "Where volumes are mounted (read-only) into the agent, one directory per volume name.",
  },
  BACKUP_VOLUMES: {
    schema: f.optionalText(),
    doc: "Volumes to back up besides the project's own, comma-separated names under BACKUP_VOLUMES_ROOT.",
  },
  BACKUP_HELPER_IMAGE: {
    schema: f.optionalText(),
    fallback: "the agent's own image, when it runs in a container",
    doc: "Image of the throwaway root helper that restores files into volumes and directories with their owners (it needs `tar`, `find`, `chown`, `touch`, `sleep`); set it for an agent run on the host.",
  },
  ...retentionVariables("BACKUP_KEEP_", "of the local repository"),
  BACKUP_OFFSITE_REPOSITORY: {
    schema: f.text().optional(),
    doc: "The offsite restic repository `offsite` copies into (any backend, e.g. `rest:https://host/repo`, `s3:…`).",
    file: true,
  },
  BACKUP_OFFSITE_PASSWORD: {
    schema: f.secret().optional(),
    doc: "Password of the offsite repository (required with BACKUP_OFFSITE_REPOSITORY).",
    secret: true,
  },
  ...offsiteS3Variables(),
  ...retentionVariables("BACKUP_OFFSITE_KEEP_", "of the offsite repository"),
  ...jobVariables,
};

export function isSecretVariable(name: string): boolean {
  return VARIABLES[name]?.secret === true;
}

export function acceptsFile(name: string): boolean {
  const spec = VARIABLES[name];
  return spec?.secret === true || spec?.file === true;
}
