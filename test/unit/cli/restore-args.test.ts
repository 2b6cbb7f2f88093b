import { describe, expect, it } from "vitest";
import { parseRestoreArgs } from "../../../src/cli/restore-args.js";

describe("restore arguments", () => {
  it("parses a volume restore into a directory and into the live volume", () => {
    expect(parseRestoreArgs(["volume", "shop_uploads", "--to", "/tmp/x"])).toEqual({
      kind: "volume",
      volume: "shop_uploads",
      to: "/tmp/x",
      intoVolume: false,
      yes: false,
    });
    expect(
      parseRestoreArgs(["volume", "shop_uploads", "--into-volume", "--at=2026-05-01T03:00:00Z", "--yes"]),
    ).toEqual({
      kind: "volume",
      volume: "shop_uploads",
      intoVolume: true,
      at: new Date("2026-05-01T03:00:00Z"),
      yes: true,
    });
  });

  it("refuses a volume restore with neither or both destinations", () => {
    expect(parseRestoreArgs(["volume", "v"])).toContain("exactly one of --to DIR");
    expect(parseRestoreArgs(["volume", "v", "--to", "/x", "--into-volume"])).toContain("exactly one of");
  });

  it("parses restore all --at, also without the word all, and requires --at", () => {
    const at = new Date("2026-05-01T03:00:00Z");
    expect(parseRestoreArgs(["all", "--at", "2026-05-01T03:00:00Z", "--yes"])).toEqual({ kind: "all", at, yes: true });
    expect(parseRestoreArgs(["--at", "2026-05-01T03:00:00Z"])).toEqual({ kind: "all", at, yes: false });
    expect(parseRestoreArgs(["all"])).toContain("--at TIME is required");
    expect(parseRestoreArgs(["all", "--at", "yesterday"])).toContain('got "yesterday"');
  });

  it("keeps postgres restore as it was and rejects flags of other kinds", () => {
    expect(parseRestoreArgs(["postgres", "db", "--database", "shop", "--snapshot", "abcdef12"])).toEqual({
      kind: "postgres",
      service: "db",
      database: "shop",
      snapshot: "abcdef12",
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
      yes: true,
    });
  });

  it("refuses --snapshot together with --at, a bad time and an unknown kind", () => {
    expect(parseRestoreArgs(["postgres", "db", "--snapshot", "abcd1234", "--at", "2026-05-01"])).toContain(
      "not both",
    );
    expect(parseRestoreArgs(["postgres", "db", "--at", "yesterday-ish"])).toContain("--at expects a time");
    expect(parseRestoreArgs(["mysql", "data"])).toContain('unknown kind "mysql"');
    expect(parseRestoreArgs(["postgres"])).toContain("service name is missing");
  });
});

