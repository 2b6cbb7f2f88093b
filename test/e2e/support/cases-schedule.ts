// Bad crontabs: each refused (exit 78) naming BACKUP_CRONTAB, the file, the line and what was expected.
import type { BadInput } from "./bad-input.js";

const line = (what: string, crontab: string, says: (string | RegExp)[], secrets?: string[]): BadInput => ({
  what,
  env: { BACKUP_CRONTAB: "{dir}/crontab" },
  files: { crontab },
  exit: 78,
  says: [/ {2}- BACKUP_CRONTAB: \/.*\/crontab: /, ...says],
  secrets,
});

const NEVER = "never fires (no date matches it, such as 30 February): expected one that runs";
const FIELDS = "expected 5 or 6 schedule fields (or @hourly, @daily, …) before the job name";

export const SCHEDULE_CASES: Record<string, BadInput[]> = {
  unreachable: [
    line("30 February", "0 3 30 2 * backup\n", ['line 1: schedule "0 3 30 2 *"', NEVER]),
    line("31 April", "0 6 31 4 * verify\n", ['line 1: schedule "0 6 31 4 *"', NEVER]),
    line("the 31st of months that have 30 days at most", "0 0 31 2,4,6,9,11 * check\n", ['line 1: schedule "0 0 31 2,4,6,9,11 *"', NEVER]),
    line("31 November with seconds", "0 0 0 31 11 * check\n", ['line 1: schedule "0 0 0 31 11 *"', NEVER]),
    line("an unreachable line among good ones, by its number", "# schedule\n0 * * * * postgres\n\n0 3 30 2 * backup --prune\n", ['line 4: schedule "0 3 30 2 *"', NEVER]),
  ],
  fields: [
    line("a minute out of range", "61 * * * * check\n", ['line 1: invalid schedule "61 * * * *"']),
    line("an hour out of range", "0 25 * * * check\n", ['line 1: invalid schedule "0 25 * * *"']),
    line("day 0 of a month", "0 0 0 * * check\n", ['line 1: invalid schedule "0 0 0 * *"']),
    line("month 13", "0 0 1 13 * check\n", ['line 1: invalid schedule "0 0 1 13 *"']),
    line("weekday 8", "0 0 * * 8 check\n", ['line 1: invalid schedule "0 0 * * 8"']),
    line("a step of zero", "*/0 * * * * check\n", ['line 1: invalid schedule "*/0 * * * *"']),
    line("four fields", "0 * * * check\n", ["line 1: ", FIELDS, 'found 4 in "0 * * * check"']),
    line("seven fields", "0 0 * * * * * check\n", ["line 1: ", FIELDS, "found 7"]),
    line("an unknown nickname", "@often check\n", ["line 1: ", FIELDS, 'found 0 in "@often check"']),
    line("a schedule without a job", "0 * * * *\n", ['line 1: no job name after the schedule "0 * * * *"']),
  ],
  jobs: [
    line("an unknown job", "0 * * * * backpu\n", ['line 1: unknown job "backpu" (expected one of postgres, backup, offsite, verify, check, wal, basebackup)']),
    line("a flag the job does not take", "0 * * * * check --prune\n", ['line 1: job "check" does not take "--prune" (expected no flags)']),
    line("an unknown flag after good ones", "0 3 * * * backup --prune --frobnicate\n", ['line 1: job "backup" does not take "--frobnicate" (expected --prune, --check)']),
    line("a flag without dashes", "0 3 * * * backup prune\n", ['line 1: job "backup" does not take "prune"']),
    line("a flag holding a password, shown redacted", "0 3 * * * backup --password=Zq7-cron-secret-1\n", ['job "backup" does not take "--password=[redacted]"'], ["Zq7-cron-secret-1"]),
    line("only comments", "# nothing here\n\n", ["no job lines: the schedule would run nothing"]),
    line("an empty file", "", ["no job lines: the schedule would run nothing"]),
    line("two bad lines, both listed", "0 * * * * nope\n0 3 30 2 * check\n", ['line 1: unknown job "nope"', 'line 2: schedule "0 3 30 2 *"']),
  ],
  shown: [
    {
      what: "a good schedule: check-config shows each line's next run",
      env: { BACKUP_CRONTAB: "{dir}/crontab", BACKUP_TIMEZONE: "UTC" },
      files: { crontab: "0 0 29 2 * check\n*/15 * * * * postgres\n" },
      exit: 0,
      says: [/"schedule": "0 0 29 2 \*",\s+"job": "check",\s+"flags": \[\],\s+"next": "\d{4}-02-29T00:00:00\.000Z"/, /"schedule": "\*\/15 \* \* \* \*",\s+"job": "postgres",\s+"flags": \[\],\s+"next": "\d{4}-\d\d-\d\dT\d\d:(00|15|30|45):00\.000Z"/],
    },
  ],
};
