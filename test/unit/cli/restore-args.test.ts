import { describe, expect, it } from "vitest";
import { parseRestoreArgs, parseTime } from "../../../src/cli/restore-args.js";

describe("restore arguments", () => {
  it("parses a volume restore into a directory and into the live volume", () => {
    expect(parseRestoreArgs(["volume", "shop_uploads", "--to", "/tmp/x"])).toEqual({
      kind: "volume",
      volume: "shop_uploads",
      to: "/tmp/x",
      intoVolume: false,
      from: "local",
      yes: false,
    });
    expect(
      parseRestoreArgs(["volume", "shop_uploads", "--into-volume", "--at=2026-05-01T03:00:00Z", "--yes"]),
    ).toEqual({
      kind: "volume",
      volume: "shop_uploads",
      intoVolume: true,
      at: new Date("2026-05-01T03:00:00Z"),
      from: "local",
      yes: true,
    });
  });

  it("refuses a volume restore with neither or both destinations", () => {
    expect(parseRestoreArgs(["volume", "v"])).toContain("exactly one of --to DIR");
    expect(parseRestoreArgs(["volume", "v", "--to", "/x", "--into-volume"])).toContain("exactly one of");
  });

  it("parses restore all, at a time or the newest of each target, from either repository", () => {
    const at = new Date("2026-05-01T03:00:00Z");
    expect(parseRestoreArgs(["all", "--at", "2026-05-01T03:00:00Z", "--yes"])).toEqual({ kind: "all", at, from: "local", yes: true });
    expect(parseRestoreArgs(["--at", "2026-05-01T03:00:00Z"])).toEqual({ kind: "all", at, from: "local", yes: false });
    expect(parseRestoreArgs(["all", "--from", "offsite", "--yes"])).toEqual({ kind: "all", at: undefined, from: "offsite", yes: true });
    expect(parseRestoreArgs(["all", "--from", "usb-stick"])).toBe('restore: --from expects local or offsite; got "usb-stick"');
    expect(parseRestoreArgs(["all", "--at", "yesterday"])).toContain('got "yesterday"');
  });

  it("keeps postgres restore as it was and rejects flags of other kinds", () => {
    expect(parseRestoreArgs(["postgres", "db", "--database", "shop", "--snapshot", "abcdef12"])).toEqual({
      kind: "postgres",
      service: "db",
      database: "shop",
      snapshot: "abcdef12",
      from: "local",
      yes: false,
    });
    expect(parseRestoreArgs(["postgres", "db", "--to", "/x"])).toBe('restore: unexpected argument "--to"');
    expect(parseRestoreArgs(["volume", "v", "--into-volume", "--database", "x"])).toBe(
      'restore: unexpected argument "--database"',
    );
    expect(parseRestoreArgs(["mysql", "x"])).toContain('unknown kind "mysql"');
  });
});

describe("parseRestoreArgs", () => {
  it("reads the service, database, time and --yes", () => {
    expect(
      parseRestoreArgs(["postgres", "db", "--database", "app", "--at=2026-05-01T03:00:00Z", "--yes"]),
    ).toEqual({
      kind: "postgres",
      service: "db",
      database: "app",
      at: new Date("2026-05-01T03:00:00Z"),
      from: "local",
      yes: true,
    });
  });

  it("refuses --snapshot together with --at, a bad time and an unknown kind", () => {
    expect(parseRestoreArgs(["postgres", "db", "--snapshot", "abcd1234", "--at", "2026-05-01T00:00:00Z"])).toContain(
      "not both",
    );
    expect(parseRestoreArgs(["postgres", "db", "--at", "yesterday-ish"])).toContain("--at expects an RFC 3339 date-time");
    expect(parseRestoreArgs(["mysql", "data"])).toContain('unknown kind "mysql"');
    expect(parseRestoreArgs(["postgres"])).toContain("service name is missing");
  });
});


describe("restore --at", () => {
  const now = new Date("2026-06-01T12:00:00Z");

  it("takes an RFC 3339 date-time with Z or an offset, and fractions of a second", () => {
    expect(parseTime("2026-05-01T05:00:00+02:00", now)).toEqual(new Date("2026-05-01T03:00:00Z"));
    expect(parseTime("2026-05-01 03:00:00.250Z", now)).toEqual(new Date("2026-05-01T03:00:00.250Z"));
    expect(parseTime("2024-02-29T00:00:00-00:30", now)).toEqual(new Date("2024-02-29T00:30:00Z"));
  });

  it("refuses a date that does not exist instead of rolling it over into the next month", () => {
    expect(parseRestoreArgs(["all", "--at", "2026-02-30T00:00:00Z"], now)).toContain("2026-02-30 00:00:00 is not a time that exists");
    expect(parseTime("2026-04-31T00:00:00Z", now)).toContain("is not a time that exists");
    expect(parseTime("2026-05-01T24:00:00Z", now)).toContain("is not a time that exists");
    expect(parseTime("2026-05-01T03:00:00+25:00", now)).toContain("the offset +25:00 does not exist");
  });

  it("refuses a bare number, a date without a time and a time without a zone", () => {
    for (const text of ["1", "2026-05-01", "2026-05-01T03:00:00", "yesterday", "1746068400"]) {
      expect(parseRestoreArgs(["all", "--at", text], now)).toBe(
        `restore: --at expects an RFC 3339 date-time with a time zone, such as 2026-05-01T03:00:00Z or 2026-05-01T05:00:00+02:00; got "${text}"`,
      );
    }
  });

  it("refuses a time in the future, saying that the newest backup needs no --at", () => {
    expect(parseRestoreArgs(["postgres", "db", "--at", "2026-06-01T12:00:01Z"], now)).toBe(
      'restore: --at expects a time in the past (it is now 2026-06-01T12:00:00.000Z; leave --at out for the newest backup); got "2026-06-01T12:00:01Z"',
    );
  });
});
