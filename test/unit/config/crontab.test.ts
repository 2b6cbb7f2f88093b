import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_CRONTAB, nextRun, parseCrontab } from "../../../src/config/crontab.js";

describe("parseCrontab", () => {
  it("reads 5-field and 6-field lines, nicknames, flags, comments and blank lines", () => {
    const { entries, problems } = parseCrontab(
      [
        "# a comment",
        "",
        "0 3 * * *   backup --prune --check   # daily",
        "*/10 * * * * * check",
        "@hourly postgres",
        "  0 6 * * sun verify",
        "0 12 * * 5#3 offsite",
      ].join("\n"),
      "Europe/Berlin",
    );
    expect(problems).toEqual([]);
    expect(entries.map((e) => [e.line, e.schedule, e.job, [...e.flags]])).toEqual([
      [3, "0 3 * * *", "backup", ["prune", "check"]],
      [4, "*/10 * * * * *", "check", []],
      [5, "@hourly", "postgres", []],
      [6, "0 6 * * sun", "verify", []],
      [7, "0 12 * * 5#3", "offsite", []],
    ]);
  });

  it("refuses bad lines with their line numbers and keeps the good ones", () => {
    const { entries, problems } = parseCrontab(
      "0 * * * * check\n* * * check\n0 0 31 2 * * * check\n0 * * * *\n",
      "UTC",
    );
    expect(entries.map((e) => e.line)).toEqual([1]);
    expect(problems).toEqual([
      expect.stringMatching(/^line 2: expected 5 or 6 schedule fields .*found 3/),
      expect.stringMatching(/^line 3: expected 5 or 6 schedule fields .*found 7/),
      expect.stringMatching(/^line 4: no job name after the schedule "0 \* \* \* \*"/),
    ]);
  });

  it("refuses a schedule croner cannot read", () => {
    expect(parseCrontab("0 25 * * * check", "UTC").problems).toEqual([
      expect.stringMatching(/^line 1: invalid schedule "0 25/),
    ]);
  });

  it("refuses a file that schedules nothing", () => {
    expect(parseCrontab("# only comments\n\n", "UTC").problems).toEqual([
      expect.stringMatching(/no job lines/),
    ]);
  });

  it("keeps crontab.example identical in schedule to the embedded default", () => {
    const example = parseCrontab(readFileSync("crontab.example", "utf8"), "UTC").entries;
    const embedded = parseCrontab(DEFAULT_CRONTAB, "UTC").entries;
    const shape = (es: typeof embedded) => es.map((e) => [e.schedule, e.job, [...e.flags]]);
    expect(shape(example)).toEqual(shape(embedded));
  });
});

describe("schedules that never fire", () => {
  it("refuses a line whose dates never come, naming the line and the schedule", () => {
    const { problems } = parseCrontab("0 * * * * check\n0 3 30 2 * backup\n0 6 31 4 * verify\n", "UTC");
    expect(problems).toEqual([
      'line 2: schedule "0 3 30 2 *" never fires (no date matches it, such as 30 February): expected one that runs',
      'line 3: schedule "0 6 31 4 *" never fires (no date matches it, such as 30 February): expected one that runs',
    ]);
  });

  it("keeps lines that fire rarely (29 February; 31 February or any Monday in February, as cron ORs the days), and tells when each fires next", () => {
    const { entries, problems } = parseCrontab("0 0 29 2 * check\n0 0 31 2 1 verify\n", "UTC");
    expect(problems).toEqual([]);
    const from = new Date("2026-03-01T00:00:00Z");
    expect(entries.map((e) => nextRun(e.schedule, "UTC", from)?.toISOString())).toEqual(["2028-02-29T00:00:00.000Z", "2027-02-01T00:00:00.000Z"]);
  });
});
