// The port of restic 0.18.0's ApplyPolicy: restic's own golden cases, then the edges restic's tests leave out.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyPolicy, hasPolicy, policyArgs, type RetentionPolicy } from "../../../src/restic/policy.js";

interface Golden {
  snapshots: string[];
  cases: { golden: string; policy: RetentionPolicy; keep: string[][] }[];
}
const GOLDEN = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../fixtures/restic-policy-golden.json"), "utf8"),
) as Golden;

const items = (times: readonly string[]) => times.map((time, i) => ({ id: `s${i}`, time }));

/** The kept times, newest first. */
function kept(times: readonly string[], policy: RetentionPolicy, now?: Date): string[] {
  return applyPolicy(items(times), policy, now).keep.map((s) => s.time);
}

/** The kept times with their reasons, newest first. */
function keptWhy(times: readonly string[], policy: RetentionPolicy, now?: Date): string[][] {
  const { keep, reasons } = applyPolicy(items(times), policy, now);
  return keep.map((s) => [s.time, ...(reasons.get(s.id) ?? [])]);
}

describe("applyPolicy against restic's golden files", () => {
  it.each(GOLDEN.cases)("keeps what restic keeps, for the same reasons, in $golden", ({ policy, keep }) => {
    expect(keptWhy(GOLDEN.snapshots, policy)).toEqual(keep);
  });

  it("removes every snapshot it does not keep, newest first", () => {
    const { keep, remove } = applyPolicy(items(GOLDEN.snapshots), { daily: 3, weekly: 2 });
    expect(keep.length + remove.length).toBe(GOLDEN.snapshots.length);
    expect(new Set([...keep, ...remove].map((s) => s.id)).size).toBe(GOLDEN.snapshots.length);
    const instants = remove.map((s) => Date.parse(s.time));
    expect(instants).toEqual([...instants].sort((a, b) => b - a));
  });

  it("keeps nothing for an empty policy, as restic's ApplyPolicy does, and nothing of an empty list", () => {
    expect(applyPolicy(items(GOLDEN.snapshots), {}).keep).toEqual([]);
    expect(applyPolicy([], { last: 3 })).toEqual({ keep: [], remove: [], reasons: new Map() });
  });
});

describe("applyPolicy's buckets", () => {
  it.each([
    {
      what: "puts 23:59:59.9 and 00:00:00.1 of one +02:00 evening in different days, though both are the same UTC day",
      times: ["2026-03-01T23:59:59.9+02:00", "2026-03-02T00:00:00.1+02:00", "2026-03-01T08:00:00+02:00"],
      policy: { daily: 2 },
      keep: ["2026-03-02T00:00:00.1+02:00", "2026-03-01T23:59:59.9+02:00"],
    },
    {
      what: "puts two snapshots of one UTC day in one day when both are recorded in UTC",
      times: ["2026-03-01T21:59:59.9Z", "2026-03-01T22:00:00.1Z", "2026-02-28T08:00:00Z"],
      policy: { daily: 2 },
      keep: ["2026-03-01T22:00:00.1Z", "2026-02-28T08:00:00Z"],
    },
    {
      what: "reads each snapshot's day in its own offset, so a newer snapshot recorded further west can be on an earlier day",
      times: ["2026-03-01T23:59:59.9-05:00", "2026-03-02T00:00:00.1Z", "2026-03-01T12:00:00-05:00"],
      policy: { daily: 2 },
      keep: ["2026-03-01T23:59:59.9-05:00", "2026-03-02T00:00:00.1Z"],
    },
    {
      what: "splits hours at the offset's own hour, including a half-hour offset",
      times: ["2026-03-01T10:59:59.999999999+05:30", "2026-03-01T11:00:00+05:30", "2026-03-01T10:00:00+05:30"],
      policy: { hourly: 2 },
      keep: ["2026-03-01T11:00:00+05:30", "2026-03-01T10:59:59.999999999+05:30"],
    },
    {
      what: "counts ISO weeks like Go: 2026-12-28 to 2027-01-03 is week 53 of 2026, and 2027-01-04 starts 2027",
      times: ["2026-12-27T12:00:00Z", "2026-12-28T12:00:00Z", "2027-01-03T23:00:00Z", "2027-01-04T00:30:00Z"],
      policy: { weekly: 3 },
      keep: ["2027-01-04T00:30:00Z", "2027-01-03T23:00:00Z", "2026-12-27T12:00:00Z"],
    },
    {
      what: "starts the ISO week on Monday in the snapshot's offset",
      times: ["2027-01-04T00:30:00+01:00", "2027-01-03T23:30:00Z", "2027-01-01T00:00:00Z"],
      policy: { weekly: 2 },
      keep: ["2027-01-04T00:30:00+01:00", "2027-01-03T23:30:00Z"],
    },
    {
      what: "puts the days of 2027 in ISO week 53 of 2026 into the same week but not the same year",
      times: ["2026-12-31T12:00:00Z", "2027-01-02T12:00:00Z", "2026-12-01T12:00:00Z"],
      policy: { weekly: 2, yearly: 2 },
      keep: ["2027-01-02T12:00:00Z", "2026-12-31T12:00:00Z", "2026-12-01T12:00:00Z"],
    },
    {
      what: "counts 2020-12-31 and 2021-01-03 in week 53 of 2020 and 2024-12-30 in week 1 of 2025",
      times: ["2020-12-20T00:00:00Z", "2020-12-31T00:00:00Z", "2021-01-03T00:00:00Z", "2024-12-30T00:00:00Z", "2025-01-05T00:00:00Z"],
      policy: { weekly: 3 },
      keep: ["2025-01-05T00:00:00Z", "2021-01-03T00:00:00Z", "2020-12-20T00:00:00Z"],
    },
    {
      what: "ends a month at midnight in the snapshot's offset, also on a leap day",
      times: ["2024-02-29T23:59:59.5-08:00", "2024-03-01T00:00:00.5-08:00", "2024-02-01T00:00:00-08:00"],
      policy: { monthly: 2 },
      keep: ["2024-03-01T00:00:00.5-08:00", "2024-02-29T23:59:59.5-08:00"],
    },
    {
      what: "ends a year at midnight in the snapshot's offset",
      times: ["2025-12-31T23:59:59+14:00", "2026-01-01T00:00:00+14:00", "2025-06-01T00:00:00Z"],
      policy: { yearly: 2 },
      keep: ["2026-01-01T00:00:00+14:00", "2025-12-31T23:59:59+14:00"],
    },
    {
      what: "keeps the newest snapshot of every day, and the oldest one, when daily is -1",
      times: ["2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z", "2026-03-02T10:00:00Z", "2026-03-04T10:00:00Z"],
      policy: { daily: -1 },
      keep: ["2026-03-04T10:00:00Z", "2026-03-02T10:00:00Z", "2026-03-01T11:00:00Z", "2026-03-01T10:00:00Z"],
    },
    {
      what: "keeps every snapshot when last is -1",
      times: ["2026-03-01T10:00:00Z", "2026-03-01T10:00:00Z", "2026-03-01T10:00:01Z"],
      policy: { last: -1 },
      keep: ["2026-03-01T10:00:01Z", "2026-03-01T10:00:00Z", "2026-03-01T10:00:00Z"],
    },
  ])("$what", ({ times, policy, keep }) => {
    expect(kept(times, policy)).toEqual(keep);
  });

  it("also keeps the oldest snapshot while a bucket has counts left, and says so", () => {
    const times = ["2026-03-01T08:00:00Z", "2026-03-01T12:00:00Z", "2026-03-01T18:00:00Z"];
    expect(keptWhy(times, { daily: 5 })).toEqual([
      ["2026-03-01T18:00:00Z", "daily snapshot"],
      ["2026-03-01T08:00:00Z", "oldest daily snapshot"],
    ]);
    expect(kept(times, { daily: 1 })).toEqual(["2026-03-01T18:00:00Z"]);
    expect(keptWhy(times, { daily: -1, last: 1 })).toEqual([
      ["2026-03-01T18:00:00Z", "last snapshot", "daily snapshot"],
      ["2026-03-01T08:00:00Z", "oldest daily snapshot"],
    ]);
  });
});

describe("applyPolicy's order", () => {
  it("orders by the instant to the nanosecond, beyond what a JavaScript Date holds, across offsets", () => {
    const times = [
      "2026-03-01T10:00:00.123456788Z",
      "2026-03-01T12:00:00.000000001+02:00",
      "2026-03-01T10:00:00.123456789Z",
      "2026-03-01T05:00:00.12345679-05:00",
    ];
    expect(kept(times, { last: -1 })).toEqual([
      "2026-03-01T05:00:00.12345679-05:00",
      "2026-03-01T10:00:00.123456789Z",
      "2026-03-01T10:00:00.123456788Z",
      "2026-03-01T12:00:00.000000001+02:00",
    ]);
  });

  it("keeps equal instants in their input order, like Go's sort.Stable, even when recorded in different offsets", () => {
    const a = { id: "a", time: "2026-03-01T10:00:00Z" };
    const b = { id: "b", time: "2026-03-01T15:30:00+05:30" };
    const c = { id: "c", time: "2026-03-01T10:00:00Z" };
    const ids = (list: { id: string }[]) => list.map((s) => s.id);
    expect(ids(applyPolicy([a, b, c], { last: 1 }).keep)).toEqual(["a"]);
    expect(ids(applyPolicy([c, b, a], { last: 1 }).keep)).toEqual(["c"]);
    expect(ids(applyPolicy([b, a, c], { last: 2 }).remove)).toEqual(["c"]);
    expect(ids(applyPolicy([a, b, c], { daily: 5 }).keep)).toEqual(["a", "c"]);
  });

  it("refuses a time that is not RFC 3339 as restic prints it", () => {
    expect(() => applyPolicy(items(["2026-03-01 10:00:00"]), { last: 1 })).toThrow(/not an RFC 3339 time/);
    expect(() => applyPolicy(items(["2026-02-29T10:00:00Z"]), { last: 1 })).toThrow(/out of range/);
  });
});

describe("applyPolicy's keep-within", () => {
  const NOW = new Date("2026-06-01T00:00:00Z");

  it("subtracts months on the wall clock, letting Go's AddDate overflow March 31 minus a month into March 3", () => {
    const times = [
      "2026-03-31T12:00:00+05:30",
      "2026-03-03T12:00:00.000000001+05:30",
      "2026-03-03T12:00:00+05:30",
      "2026-03-02T23:00:00+05:30",
    ];
    expect(keptWhy(times, { within: "1m" }, NOW)).toEqual([
      ["2026-03-31T12:00:00+05:30", "within 1m"],
      ["2026-03-03T12:00:00.000000001+05:30", "within 1m"],
    ]);
  });

  it("applies the duration in the newest snapshot's own offset, not in UTC", () => {
    // 2026-03-01T02:00+05:30 is 2026-02-28T20:30Z: a month before is 2026-02-01T02:00+05:30, not 2026-01-28.
    const times = [
      "2026-03-01T02:00:00+05:30",
      "2026-02-01T02:00:00.5+05:30",
      "2026-01-31T20:30:00Z",
      "2026-01-30T00:00:00Z",
    ];
    expect(kept(times, { within: "1m" }, NOW)).toEqual(["2026-03-01T02:00:00+05:30", "2026-02-01T02:00:00.5+05:30"]);
  });

  it("subtracts years, months and days in one normalisation before the hours, across a leap day", () => {
    // AddDate(-1, -6, -3) of 2024-02-29 is Go's Date(2023, -4, 26): 2022-08-26; two hours before is 2022-08-25T22:00.
    const times = ["2024-02-29T00:00:00Z", "2022-08-25T22:00:00.1Z", "2022-08-25T22:00:00Z"];
    expect(kept(times, { within: "1y6m3d2h" }, NOW)).toEqual(["2024-02-29T00:00:00Z", "2022-08-25T22:00:00.1Z"]);
    expect(kept(times, { within: "36h" }, NOW)).toEqual(["2024-02-29T00:00:00Z"]);
    // A year before 2024-02-29 is 2023-02-29, which Go normalises to 2023-03-01.
    const leap = ["2024-02-29T00:00:00Z", "2023-03-01T00:00:00.000000001Z", "2023-03-01T00:00:00Z", "2023-02-28T23:00:00Z"];
    expect(kept(leap, { within: "1y" }, NOW)).toEqual(["2024-02-29T00:00:00Z", "2023-03-01T00:00:00.000000001Z"]);
  });

  it("measures from the newest snapshot that is not in the future, and keeps the future ones", () => {
    const times = ["2026-07-01T00:00:00Z", "2026-05-30T00:00:00Z", "2026-05-28T00:00:00Z", "2026-05-20T00:00:00Z"];
    expect(keptWhy(times, { within: "3d" }, NOW)).toEqual([
      ["2026-07-01T00:00:00Z", "within 3d"],
      ["2026-05-30T00:00:00Z", "within 3d"],
      ["2026-05-28T00:00:00Z", "within 3d"],
    ]);
    expect(kept(times, { within: "3d" }, new Date("2027-01-01T00:00:00Z"))).toEqual(["2026-07-01T00:00:00Z"]);
  });

  it("keeps every snapshot when all are in the future, as restic measures from Go's zero time then", () => {
    const times = ["2026-07-01T00:00:00Z", "2026-06-20T00:00:00Z"];
    expect(kept(times, { within: "1d" }, NOW)).toEqual(times);
  });

  it("names the duration in reasons as restic prints it, and lists within before the buckets", () => {
    const times = ["2026-05-01T00:00:00Z", "2026-04-01T00:00:00Z"];
    expect(keptWhy(times, { within: " 1d1y2d1m ", last: 1 }, NOW)).toEqual([
      ["2026-05-01T00:00:00Z", "within 1y1m2d", "last snapshot"],
      ["2026-04-01T00:00:00Z", "within 1y1m2d"],
    ]);
  });
});

describe("hasPolicy and policyArgs", () => {
  it("turns every set field into its restic forget flag, in a fixed order, with -1 as unlimited", () => {
    expect(policyArgs({ within: "14d", yearly: -1, daily: 7, last: 3, hourly: 0 })).toEqual([
      "--keep-last",
      "3",
      "--keep-hourly",
      "0",
      "--keep-daily",
      "7",
      "--keep-yearly",
      "unlimited",
      "--keep-within",
      "14d",
    ]);
    expect(policyArgs({ weekly: 2, monthly: 6 })).toEqual(["--keep-weekly", "2", "--keep-monthly", "6"]);
    expect(policyArgs({})).toEqual([]);
  });

  it("has a policy only when something would be kept, as restic's forget sees it", () => {
    expect(hasPolicy({})).toBe(false);
    expect(hasPolicy({ daily: 0, within: "0d" })).toBe(false);
    expect(hasPolicy({ hourly: 24 })).toBe(true);
    expect(hasPolicy({ monthly: -1 })).toBe(true);
    expect(hasPolicy({ within: "36h" })).toBe(true);
  });

  it.each([
    [{ daily: -2 }, /keep-daily/],
    [{ weekly: 1.5 }, /keep-weekly/],
    [{ within: "2 weeks" }, /invalid unit/],
    [{ within: "1w" }, /invalid unit "w"/],
    [{ within: "5" }, /no unit found/],
    [{ within: "d" }, /no number found/],
    [{ within: "1d-2h" }, /negative/],
  ])("refuses %j as restic forget does", (policy, message) => {
    expect(() => policyArgs(policy)).toThrow(message);
    expect(() => hasPolicy(policy)).toThrow(message);
    expect(() => applyPolicy([], policy)).toThrow(message);
  });
});
