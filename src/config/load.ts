// Environment (+ NAME_FILE) -> validated Config, or a ConfigError listing every problem at once.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../core/errors.js";
import { JOB_NAMES, type JobName } from "../core/job.js";
import type { RetentionPolicy } from "./retention.js";
import { type CrontabEntry, DEFAULT_CRONTAB, parseCrontab } from "./crontab.js";
import { hasControlCharacters, type ListenAddress } from "./fields.js";
import { acceptsFile, isSecretVariable, KEEP_KEYS, OFFSITE_S3_VARIABLES, VARIABLES } from "./schema.js";
import { describeSecret, Secret } from "./secret.js";

export interface JobConfig {
  timeoutMs: number;
  /** Where this job's healthchecks pings go, or undefined for none. */
  healthcheck: Secret | undefined;
}

export interface Config {
  restic: { repository: Secret; repositoryDisplay: string; password: Secret; binary: string; host: string };
  schedule: { source: string; entries: CrontabEntry[] };
  targets: { project: string | undefined; expected: string[]; concurrency: number; checkSubset: string; hookTimeoutMs: number };
  meilisearch: { apiKey: Secret | undefined; pollIntervalMs: number; timeoutMs: number };
  timezone: string;
  http: ListenAddress | undefined;
  log: { level: string; format: "auto" | "json" | "pretty" };
  shutdownGraceMs: number;
  healthchecks: { timeoutMs: number; retries: number };
  jobs: Record<JobName, JobConfig>;
  volumes: { root: string; names: string[] };
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
  status: { warnAfterMs: number; criticalAfterMs: number; verifyMaxAgeMs: number; offsiteMaxLagMs: number };
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const reported = new Set<string>();
  const raw = readFiles(env, problems, reported);

  const shape = Object.fromEntries(Object.entries(VARIABLES).map(([name, spec]) => [name, spec.schema]));
  const parsed = z.object(shape).safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]);
      if (reported.has(name)) continue;
      problems.push(`${name}: ${issue.message}; got ${show(name, raw[name])}`);
    }
  }
  for (const name of Object.keys(env)) {
    const base = name.endsWith("_FILE") ? name.slice(0, -5) : name;
    if (name.startsWith("BACKUP_") && !(name in VARIABLES) && !(acceptsFile(base) && base !== name)) {
      problems.push(`${name}: not a variable backup-agent knows (a typo?); got ${show(name, env[name])}`);
    }
  }
  const values = (parsed.success ? parsed.data : {}) as Record<string, unknown>;
  const schedule = loadSchedule(raw.BACKUP_CRONTAB, (values.BACKUP_TIMEZONE as string) ?? "UTC", problems);
  for (const name of (raw.BACKUP_VOLUMES ?? "").split(",").map((n) => n.trim())) {
    // Docker's own rule for volume names; it also keeps "..", "/" and control characters out of paths.
    if (name !== "" && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
      problems.push(`BACKUP_VOLUMES: "${JSON.stringify(name).slice(1, -1)}" is not a Docker volume name`);
    }
  }
  if ((raw.BACKUP_OFFSITE_REPOSITORY === undefined) !== (raw.BACKUP_OFFSITE_PASSWORD === undefined)) {
    problems.push(
      "BACKUP_OFFSITE_REPOSITORY and BACKUP_OFFSITE_PASSWORD: set both (or their _FILE) or neither",
    );
  }

  problems.push(...offsiteS3Problems(raw));

  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return build(values, schedule);
}

/** NAME_FILE wins when NAME is unset; both set is a problem, as is an unreadable file. */
function readFiles(env: Env, problems: string[], reported: Set<string>): Env {
  const raw: Env = {};
  for (const name of Object.keys(VARIABLES)) {
    const direct = env[name];
    const fileVar = `${name}_FILE`;
    const file = acceptsFile(name) ? env[fileVar] : undefined;
    if (direct !== undefined && file !== undefined) {
      reported.add(name);
      problems.push(
        `${name}: set either ${name} or ${fileVar}, not both; got ${show(name, direct)} and ${fileVar}="${file}"`,
      );
      continue;
    }
    if (file === undefined) {
      raw[name] = direct;
      continue;
    }
    try {
      // Files written by editors and `echo` end in a newline that is not part of the secret.
      raw[name] = readFileSync(file, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      reported.add(name);
      problems.push(
        `${fileVar}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? error}); got "${file}"`,
      );
    }
  }
  return raw;
}

function loadSchedule(path: string | undefined, timezone: string, problems: string[]) {
  let text = DEFAULT_CRONTAB;
  let source = "embedded default";
  if (path !== undefined && path !== "" && !hasControlCharacters(path)) {
    try {
      text = readFileSync(path, "utf8");
      source = path;
    } catch (error) {
      problems.push(
        `BACKUP_CRONTAB: cannot read the schedule file (${(error as NodeJS.ErrnoException).code}); got "${path}"`,
      );
      return { source: path, entries: [] };
    }
  }
  const result = parseCrontab(text, timezone);
  for (const problem of result.problems) problems.push(`BACKUP_CRONTAB: ${source}: ${problem}`);
  return { source, entries: result.entries };
}

function show(name: string, value: string | undefined): string {
  if (value === undefined) return "nothing";
  return isSecretVariable(name) ? describeSecret(value) : JSON.stringify(value);
}

function build(v: Record<string, unknown>, schedule: Config["schedule"]): Config {
  const jobs = {} as Record<JobName, JobConfig>;
  const pingKey = v.BACKUP_HC_PING_KEY as Secret | undefined;
  const base = (v.BACKUP_HC_BASE_URL as string).replace(/\/?$/, "/");
  for (const job of JOB_NAMES) {
    const upper = job.toUpperCase();
    const url = v[`BACKUP_HC_${upper}_URL`] as string | undefined;
    const slug = (v[`BACKUP_HC_${upper}_SLUG`] as string | undefined) ?? `backup-agent-${job}`;
    let healthcheck: Secret | undefined;
    if (url !== undefined) healthcheck = new Secret(url.replace(/\/$/, ""));
    else if (pingKey) healthcheck = new Secret(`${base}${pingKey.reveal()}/${encodeURIComponent(slug)}`);
    if (healthcheck && pingKey && v.BACKUP_HC_CREATE && url === undefined) {
      healthcheck = new Secret(`${healthcheck.reveal()}?create=1`);
    }
    jobs[job] = {
      timeoutMs: (v[`BACKUP_${upper}_TIMEOUT`] as number | undefined) ?? (v.BACKUP_JOB_TIMEOUT as number),
      healthcheck,
    };
  }
  const repository = v.RESTIC_REPOSITORY as string;
  const offsite = v.BACKUP_OFFSITE_REPOSITORY as string | undefined;
  return {
    restic: {
      repository: new Secret(repository),
      repositoryDisplay: repository.replace(/(\/\/[^:/@]+:)[^@/]*@/, "$1[redacted]@"),
      password: v.RESTIC_PASSWORD as Secret,
      binary: v.RESTIC_BINARY as string,
      host: v.BACKUP_HOST as string,
    },
    schedule,
    targets: {
      project: v.BACKUP_COMPOSE_PROJECT as string | undefined,
      expected: ((v.BACKUP_EXPECTED_TARGETS as string | undefined) ?? "")
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
      concurrency: v.BACKUP_CONCURRENCY as number,
      checkSubset: v.BACKUP_CHECK_SUBSET as string,
      hookTimeoutMs: v.BACKUP_HOOK_TIMEOUT as number,
    },
    meilisearch: {
      apiKey: v.BACKUP_MEILI_API_KEY as Secret | undefined,
      pollIntervalMs: v.BACKUP_MEILI_POLL_INTERVAL as number,
      timeoutMs: v.BACKUP_MEILI_TIMEOUT as number,
    },
    timezone: v.BACKUP_TIMEZONE as string,
    http: v.BACKUP_HTTP_LISTEN as ListenAddress | undefined,
    log: { level: v.BACKUP_LOG_LEVEL as string, format: v.BACKUP_LOG_FORMAT as Config["log"]["format"] },
    shutdownGraceMs: v.BACKUP_SHUTDOWN_GRACE as number,
    healthchecks: { timeoutMs: v.BACKUP_HC_TIMEOUT as number, retries: v.BACKUP_HC_RETRIES as number },
    jobs,
    volumes: {
      root: v.BACKUP_VOLUMES_ROOT as string,
      names: ((v.BACKUP_VOLUMES as string | undefined) ?? "")
        .split(",")
        .map((n) => n.trim())
        .filter(Boolean),
    },
    retention: { local: policy(v, "BACKUP_KEEP_"), offsite: policy(v, "BACKUP_OFFSITE_KEEP_") },
    status: {
      warnAfterMs: v.BACKUP_STATUS_WARN_AFTER as number,
      criticalAfterMs: v.BACKUP_STATUS_CRITICAL_AFTER as number,
      verifyMaxAgeMs: v.BACKUP_STATUS_VERIFY_MAX_AGE as number,
      offsiteMaxLagMs: v.BACKUP_STATUS_OFFSITE_MAX_LAG as number,
    },
    offsite:
      offsite === undefined
        ? undefined
        : {
            repository: new Secret(offsite),
            repositoryDisplay: redactUrl(offsite),
            password: v.BACKUP_OFFSITE_PASSWORD as Secret,
            credentials: offsiteCredentials(v),
          },
  };
}

/** The s3 variables go together, and only with an s3: offsite repository. */
function offsiteS3Problems(raw: Env): string[] {
  const set = OFFSITE_S3_VARIABLES.filter((n) => raw[`BACKUP_OFFSITE_${n}`] !== undefined);
  if (set.length === 0) return [];
  const problems: string[] = [];
  const names = set.map((n) => `BACKUP_OFFSITE_${n}`).join(", ");
  if (!raw.BACKUP_OFFSITE_REPOSITORY?.startsWith("s3:")) {
    problems.push(`${names}: only for an s3: offsite repository; got BACKUP_OFFSITE_REPOSITORY=${JSON.stringify(raw.BACKUP_OFFSITE_REPOSITORY ? redactUrl(raw.BACKUP_OFFSITE_REPOSITORY) : "nothing")}`);
  }
  if ((raw.BACKUP_OFFSITE_AWS_ACCESS_KEY_ID === undefined) !== (raw.BACKUP_OFFSITE_AWS_SECRET_ACCESS_KEY === undefined)) {
    problems.push("BACKUP_OFFSITE_AWS_ACCESS_KEY_ID and BACKUP_OFFSITE_AWS_SECRET_ACCESS_KEY: set both (or their _FILE) or neither");
  }
  return problems;
}

function offsiteCredentials(v: Record<string, unknown>): Record<string, Secret> | undefined {
  const out: Record<string, Secret> = {};
  for (const name of OFFSITE_S3_VARIABLES) {
    const value = v[`BACKUP_OFFSITE_${name}`] as Secret | string | undefined;
    if (value !== undefined) out[name] = typeof value === "string" ? new Secret(value) : value;
  }
  return Object.keys(out).length ? out : undefined;
}

function redactUrl(repository: string): string {
  return repository.replace(/(\/\/[^:/@]+:)[^@/]*@/, "$1[redacted]@");
}

function policy(v: Record<string, unknown>, prefix: string): RetentionPolicy {
  const out: RetentionPolicy = {};
  for (const key of KEEP_KEYS) {
    const value = v[`${prefix}${key}`];
    if (value === undefined) continue;
    if (key === "WITHIN") out.within = value as string;
    else out[key.toLowerCase() as Exclude<keyof RetentionPolicy, "within">] = value as number;
  }
  return out;
}
