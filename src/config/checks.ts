// Checks across variables, made at start so nothing fails only later: the restic binary, expected
// targets, thresholds that contradict each other, an offsite copy onto itself; and the warnings for
// settings that would silently do nothing.
import { accessSync, constants, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { JOB_NAMES } from "../core/job.js";
import type { CrontabEntry } from "./crontab.js";
import { formatDuration } from "./duration.js";
import type { Env } from "./env.js";
import { closestWord } from "./nearest.js";
import { redact } from "./redact.js";
import { KEEP_KEYS, OFFSITE_S3_VARIABLES, TARGET_KINDS } from "./schema.js";

type Values = Record<string, unknown>;

/** Problems of values that are each valid but cannot work together (or with this machine). */
export function crossProblems(v: Values, env: Env): string[] {
  const problems: string[] = [];
  const binary = v.RESTIC_BINARY as string | undefined;
  const missing = binary === undefined ? undefined : executableProblem(binary, env.PATH ?? process.env.PATH ?? "");
  if (missing) problems.push(`RESTIC_BINARY: expected the restic executable (0.18 or newer); got "${binary}", which ${missing}`);
  const [warn, critical] = [v.BACKUP_STATUS_WARN_AFTER as number, v.BACKUP_STATUS_CRITICAL_AFTER as number];
  if (warn !== undefined && critical !== undefined && warn >= critical) {
    problems.push(
      `BACKUP_STATUS_WARN_AFTER: expected less than BACKUP_STATUS_CRITICAL_AFTER (${formatDuration(critical)}), or WARNING could never show; got "${formatDuration(warn)}"`,
    );
  }
  const [local, offsite] = [v.RESTIC_REPOSITORY as string | undefined, v.BACKUP_OFFSITE_REPOSITORY as string | undefined];
  if (local !== undefined && offsite !== undefined && sameRepository(local, offsite)) {
    problems.push("BACKUP_OFFSITE_REPOSITORY: expected a repository other than RESTIC_REPOSITORY: an offsite copy onto itself protects nothing; got the same repository");
  }
  problems.push(...offsiteS3Problems(v));
  return problems;
}

/** The s3 variables go together, and only with an s3: offsite repository. */
function offsiteS3Problems(v: Values): string[] {
  const set = OFFSITE_S3_VARIABLES.filter((n) => v[`BACKUP_OFFSITE_${n}`] !== undefined);
  if (set.length === 0) return [];
  const problems: string[] = [];
  const offsite = v.BACKUP_OFFSITE_REPOSITORY as string | undefined;
  if (!offsite?.startsWith("s3:")) {
    const names = set.map((n) => `BACKUP_OFFSITE_${n}`).join(", ");
    problems.push(`${names}: only for an s3: offsite repository; got BACKUP_OFFSITE_REPOSITORY=${offsite === undefined ? "nothing" : JSON.stringify(redact(offsite))}`);
  }
  if ((v.BACKUP_OFFSITE_AWS_ACCESS_KEY_ID === undefined) !== (v.BACKUP_OFFSITE_AWS_SECRET_ACCESS_KEY === undefined)) {
    problems.push("BACKUP_OFFSITE_AWS_ACCESS_KEY_ID and BACKUP_OFFSITE_AWS_SECRET_ACCESS_KEY: set both (or their _FILE) or neither");
  }
  return problems;
}

/** Why `binary` cannot be run, or undefined when it is an executable file (searched on PATH without a "/"). */
function executableProblem(binary: string, path: string): string | undefined {
  const candidates = binary.includes("/") ? [binary] : path.split(":").map((dir) => join(dir || ".", binary));
  let found: string | undefined;
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) {
        found ??= "is not a file";
        continue;
      }
      accessSync(candidate, constants.X_OK);
      return undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EACCES") found = "is not executable (EACCES)";
      else if (code !== "ENOENT" && code !== "ENOTDIR") found ??= `cannot be checked (${code})`;
    }
  }
  if (found) return found;
  return binary.includes("/") ? "does not exist (ENOENT)" : `is not found on PATH (${path || "empty"}) (ENOENT)`;
}

function sameRepository(a: string, b: string): boolean {
  const normal = (r: string) => {
    const bare = r.replace(/^local:/, "");
    const trimmed = bare.length > 1 ? bare.replace(/\/+$/, "") : bare;
    return isAbsolute(trimmed) ? resolve(trimmed) : trimmed;
  };
  return normal(a) === normal(b);
}

/** BACKUP_EXPECTED_TARGETS as `kind/name` entries with a known kind, or one problem per bad entry. */
export function parseExpectedTargets(text: string | undefined): { targets: string[]; problems: string[] } {
  const targets: string[] = [];
  const problems: string[] = [];
  const kinds = TARGET_KINDS.join(", ");
  for (const entry of (text ?? "").split(",").map((t) => t.trim()).filter(Boolean)) {
    const slash = entry.indexOf("/");
    const [kind, name] = slash < 0 ? ["", entry] : [entry.slice(0, slash), entry.slice(slash + 1)];
    const expected = `expected kind/name with a kind of ${kinds} (e.g. "postgres/db")`;
    if (!(TARGET_KINDS as readonly string[]).includes(kind)) {
      const nearest = closestWord(kind, TARGET_KINDS, 3);
      const hint = slash < 0 ? "; the kind is missing" : nearest ? `; did you mean "${nearest}/${name}"?` : "";
      problems.push(`BACKUP_EXPECTED_TARGETS: ${expected}${hint}; got "${entry}"`);
    } else if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
      problems.push(`BACKUP_EXPECTED_TARGETS: ${expected}, the name a Compose service or volume name; got "${entry}"`);
    } else if (targets.includes(entry)) {
      problems.push(`BACKUP_EXPECTED_TARGETS: expected each target once; got "${entry}" twice`);
    } else targets.push(entry);
  }
  return { targets, problems };
}

/** Settings that are valid but would do nothing, each named. */
export function uselessSettings(v: Values, env: Env, schedule: readonly CrontabEntry[]): string[] {
  const warnings: string[] = [];
  const set = (name: string) => env[name] !== undefined || env[`${name}_FILE`] !== undefined;
  if (!set("BACKUP_HC_PING_KEY")) {
    const without = ["BACKUP_HC_CREATE", "BACKUP_HC_BASE_URL", ...JOB_NAMES.map((j) => `BACKUP_HC_${j.toUpperCase()}_SLUG`)].filter(set);
    for (const name of without) warnings.push(`${name} does nothing without BACKUP_HC_PING_KEY`);
  }
  for (const job of JOB_NAMES.map((j) => j.toUpperCase())) {
    if (set(`BACKUP_HC_${job}_SLUG`) && set(`BACKUP_HC_${job}_URL`)) {
      warnings.push(`BACKUP_HC_${job}_SLUG does nothing: BACKUP_HC_${job}_URL names the check`);
    }
  }
  const offsiteKeep = KEEP_KEYS.map((k) => `BACKUP_OFFSITE_KEEP_${k}`).filter(set);
  if (offsiteKeep.length && v.BACKUP_OFFSITE_REPOSITORY === undefined) {
    warnings.push(`${offsiteKeep.join(", ")} ${offsiteKeep.length > 1 ? "do" : "does"} nothing without BACKUP_OFFSITE_REPOSITORY`);
  }
  const runs = (job: string, flag?: string) => schedule.some((e) => e.job === job && (!flag || e.flags.has(flag)));
  const localKeep = KEEP_KEYS.map((k) => `BACKUP_KEEP_${k}`).filter(set);
  if (localKeep.length && !runs("backup", "prune")) {
    warnings.push(`${localKeep.join(", ")}: no schedule line runs "backup --prune", so the policy applies only to runs by hand`);
  }
  const line = (job: string, flag?: string) => schedule.find((e) => e.job === job && (!flag || e.flags.has(flag)))?.line;
  if (runs("backup", "prune") && !localKeep.length) {
    warnings.push(`the schedule runs "backup --prune" (line ${line("backup", "prune")}) but no BACKUP_KEEP_* is set: its retention step will fail`);
  }
  if (runs("offsite") && v.BACKUP_OFFSITE_REPOSITORY === undefined) {
    warnings.push(`the schedule runs "offsite" (line ${line("offsite")}) but BACKUP_OFFSITE_REPOSITORY is not set: that run will fail`);
  }
  return warnings;
}
