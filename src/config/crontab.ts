// The schedule file: supercronic-compatible lines of 5 or 6 cron fields (or @daily etc.), a job, its flags.
import { Cron } from "croner";
import { isJobName, JOB_NAMES, type JobFlags, type JobName, parseJobFlags } from "../core/job.js";

export interface CrontabEntry {
  readonly line: number;
  readonly schedule: string;
  readonly job: JobName;
  readonly flags: JobFlags;
  /** The line as written, for logs. */
  readonly text: string;
}

export const DEFAULT_CRONTAB = `# backup-agent default schedule (times in BACKUP_TIMEZONE)
0 * * * *   postgres                 # hourly database dumps
0 3 * * *   backup --prune --check   # daily: every target + volumes, retention, check a data subset
0 5 * * *   offsite --prune          # daily: copy to the offsite repository, retention there
0 6 * * 0   verify                   # weekly: restore into throwaway containers and query
* * * * *   wal                      # every minute: archive the WAL of point-in-time-recovery targets
30 2 * * *  basebackup               # daily: base backups of point-in-time-recovery targets
`;

const NICKNAMES = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);
const NAMES = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat";
const FIELD = new RegExp(`^(?:[0-9*?/,LW#-]|${NAMES})+$`, "i");

export interface CrontabResult {
  entries: CrontabEntry[];
  problems: string[];
}

/** Parses a whole crontab, collecting one problem per bad line ("line 3: …"). */
export function parseCrontab(text: string, timezone: string): CrontabResult {
  const entries: CrontabEntry[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const result = parseLine(raw, index + 1, timezone);
    if (typeof result === "string") problems.push(`line ${index + 1}: ${result}`);
    else if (result) entries.push(result);
  });
  if (problems.length === 0 && entries.length === 0)
    problems.push("no job lines: the schedule would run nothing");
  return { entries, problems };
}

function parseLine(raw: string, line: number, timezone: string): CrontabEntry | string | undefined {
  const text = stripComment(raw).trim();
  if (text === "") return undefined;
  const tokens = text.split(/\s+/);
  let fields = 0;
  if (NICKNAMES.has((tokens[0] ?? "").toLowerCase())) fields = 1;
  else while (fields < tokens.length && FIELD.test(tokens[fields] as string)) fields++;
  if (fields !== 1 && fields !== 5 && fields !== 6) {
    return `expected 5 or 6 schedule fields (or @hourly, @daily, …) before the job name, found ${fields} in "${text}"`;
  }
  const schedule = tokens.slice(0, fields).join(" ");
  const job = tokens[fields];
  if (job === undefined) return `no job name after the schedule "${schedule}"`;
  if (!isJobName(job)) return `unknown job "${job}" (expected one of ${JOB_NAMES.join(", ")})`;
  const flags = parseJobFlags(job, tokens.slice(fields + 1));
  if (typeof flags === "string") return flags;
  let next: Date | null;
  try {
    next = nextRun(schedule, timezone);
  } catch (error) {
    return `invalid schedule "${schedule}": ${(error as Error).message}`;
  }
  // "0 3 30 2 *" parses, but no 30 February ever comes: the job would silently never run.
  if (next === null) return `schedule "${schedule}" never fires (no date matches it, such as 30 February): expected one that runs`;
  return { line, schedule, job, flags, text };
}

/** When the schedule fires next after `from` (in the time zone), or null when it never does. */
export function nextRun(schedule: string, timezone: string, from = new Date()): Date | null {
  const cron = new Cron(cronPattern(schedule), { paused: true, timezone, mode: "5-or-6-parts" });
  try {
    return cron.nextRun(from);
  } finally {
    cron.stop();
  }
}

/** The pattern croner understands for a schedule as written (croner lacks @midnight). */
export function cronPattern(schedule: string): string {
  return schedule.toLowerCase() === "@midnight" ? "@daily" : schedule;
}

function stripComment(raw: string): string {
  const hash = raw.indexOf("#");
  // A "#" inside a cron field (day-of-week "5#3") is not a comment: comments start a token.
  if (hash < 0) return raw;
  const before = raw.slice(0, hash);
  return hash === 0 || /\s$/.test(before)
    ? before
    : raw.slice(0, hash + 1) + stripComment(raw.slice(hash + 1));
}
