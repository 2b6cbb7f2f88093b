// Environment (+ NAME_FILE) -> validated Config, or a ConfigError listing every problem at once.
import { readFileSync } from "node:fs";
import { ConfigError } from "../core/errors.js";
import { buildConfig } from "./build.js";
import { crossProblems, parseExpectedTargets, uselessSettings } from "./checks.js";
import { DEFAULT_CRONTAB, parseCrontab } from "./crontab.js";
import { type Env, readEnvironment, type Source, show } from "./env.js";
import type { Config } from "./config.js";
import { hasControlCharacters } from "./fields.js";
import { VARIABLES } from "./schema.js";
import { describeSettings } from "./settings.js";
import { resolveTimezone } from "./timezone.js";

export type { Config, JobConfig } from "./config.js";

export function loadConfig(env: Env = process.env): Config {
  const raw = readEnvironment(env);
  const problems = [...raw.problems];
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(VARIABLES)) {
    const parsed = spec.schema.safeParse(raw.values[name]);
    if (parsed.success) values[name] = parsed.data;
    else if (!raw.reported.has(name)) {
      const issue = parsed.error.issues[0]?.message ?? "invalid";
      problems.push(`${name}: ${issue}; got ${show(name, raw.values[name])}${fromFile(raw.sources[name])}`);
    }
  }
  // A BACKUP_TIMEZONE that failed its check is listed already: TZ is not asked instead.
  const explicit = raw.values.BACKUP_TIMEZONE === undefined ? undefined : ((values.BACKUP_TIMEZONE as string | undefined) ?? "UTC");
  const tz = resolveTimezone(explicit, env);
  if ("problem" in tz) problems.push(tz.problem);
  const timezone = "zone" in tz ? tz.zone : "UTC";
  const schedule = loadSchedule(raw.values.BACKUP_CRONTAB, timezone, problems);
  for (const name of (raw.values.BACKUP_VOLUMES ?? "").split(",").map((n) => n.trim())) {
    // Docker's own rule for volume names; it also keeps "..", "/" and control characters out of paths.
    if (name !== "" && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
      problems.push(`BACKUP_VOLUMES: expected Docker volume names (letters, digits, "_", ".", "-"); got "${JSON.stringify(name).slice(1, -1)}"`);
    }
  }
  if ((raw.values.BACKUP_OFFSITE_REPOSITORY === undefined) !== (raw.values.BACKUP_OFFSITE_PASSWORD === undefined)) {
    problems.push("BACKUP_OFFSITE_REPOSITORY and BACKUP_OFFSITE_PASSWORD: set both (or their _FILE) or neither");
  }
  const expected = parseExpectedTargets(values.BACKUP_EXPECTED_TARGETS as string | undefined);
  problems.push(...expected.problems, ...crossProblems(values, env));
  if (problems.length > 0) throw new ConfigError(problems);
  const warnings = [...raw.warnings, ...uselessSettings(values, env, schedule.entries)];
  const settings = describeSettings(raw, "zone" in tz ? tz : { zone: timezone, from: "default" });
  return { ...buildConfig(values, schedule, timezone, expected.targets), settings, warnings };
}

function fromFile(source: Source | undefined): string {
  return source?.from === "file" ? ` (read from ${JSON.stringify(source.path)})` : "";
}

function loadSchedule(path: string | undefined, timezone: string, problems: string[]) {
  let text = DEFAULT_CRONTAB;
  let source = "embedded default";
  if (path !== undefined && path !== "" && !hasControlCharacters(path) && path.trim() === path) {
    try {
      text = readFileSync(path, "utf8");
      source = path;
    } catch (error) {
      problems.push(`BACKUP_CRONTAB: cannot read the schedule file (${(error as NodeJS.ErrnoException).code}); got "${path}"`);
      return { source: path, entries: [] };
    }
  }
  const result = parseCrontab(text, timezone);
  for (const problem of result.problems) problems.push(`BACKUP_CRONTAB: ${source}: ${problem}`);
  return { source, entries: result.entries };
}
