// One duration type for every duration variable and label: whole milliseconds, above zero, below a maximum.
import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration, TIMER_MAX_MS } from "../../../src/config/duration.js";

describe("parseDuration", () => {
  it("reads each unit, fractions that come to whole milliseconds included", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("1.001s")).toBe(1001);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("24d")).toBe(24 * 86_400_000);
  });

  it("refuses what Node's timers cannot wait for, instead of firing at once", () => {
    expect(parseDuration("25d")).toEqual({ problem: `expected at most ${TIMER_MAX_MS}ms (about 24.8 days, the longest timer Node.js can set)` });
    expect(parseDuration("999d")).toHaveProperty("problem");
    expect(parseDuration(`${TIMER_MAX_MS}ms`)).toBe(TIMER_MAX_MS);
    expect(parseDuration("400d", 366 * 86_400_000)).toEqual({ problem: "expected at most 366d" });
  });

  it("refuses zero, less than a millisecond, fractions of one, and what is not a duration", () => {
    expect(parseDuration("0s")).toEqual({ problem: "expected a duration above zero" });
    expect(parseDuration("0.4ms")).toEqual({ problem: "expected at least 1ms (0.4ms is less than a millisecond)" });
    expect(parseDuration("1.5ms")).toEqual({ problem: "expected whole milliseconds (1.5ms is 1.5ms)" });
    for (const text of ["30", "-5m", "5 m", " 5m", "5mins", "1h30m", "", "1e3s"]) {
      expect(parseDuration(text), text).toEqual({ problem: 'expected a duration such as "90s", "5m", "6h" or "1d"' });
    }
  });

  it("formats with the largest exact unit", () => {
    expect([formatDuration(90_000), formatDuration(86_400_000), formatDuration(TIMER_MAX_MS)]).toEqual(["90s", "1d", "2147483647ms"]);
  });
});
