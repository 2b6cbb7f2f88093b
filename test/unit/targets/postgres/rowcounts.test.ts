import { describe, expect, it } from "vitest";
import { compareRowCounts, parseRowCounts } from "../../../../src/targets/postgres/rowcounts.js";

describe("compareRowCounts", () => {
  it("says nothing when every table has its recorded count", () => {
    expect(compareRowCounts({ "public.a": 1, "public.b": 0 }, { "public.b": 0, "public.a": 1 })).toEqual([]);
  });

  it("names the table and both counts when they differ, and tables missing or extra", () => {
    expect(compareRowCounts({ "public.a": 5, "public.gone": 1 }, { "public.a": 4, "public.new": 0 })).toEqual(
      [
        "table public.a has 4 rows restored but 5 recorded",
        "table public.gone (1 rows recorded) is missing after restore",
        "table public.new was restored but not recorded at backup time",
      ],
    );
  });
});

describe("parseRowCounts", () => {
  it("reads quoted table names that contain the separator", () => {
    expect(parseRowCounts(['"s"."a|b"|7', "public.t|0"])).toEqual({ '"s"."a|b"': 7, "public.t": 0 });
  });

  it("rejects a line without a count", () => {
    expect(() => parseRowCounts(["public.t|"])).toThrow("unexpected row count line");
  });
});

