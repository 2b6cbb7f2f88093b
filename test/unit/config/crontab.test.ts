import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_CRONTAB, parseCrontab } from "../../../src/config/crontab.js";

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
