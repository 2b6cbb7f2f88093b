import { describe, expect, it } from "vitest";
import { parseRestoreArgs } from "../../src/cli/restore-args.js";
import { abandoned } from "../../src/docker/reap.js";
import type { LabelledContainer } from "../../src/docker/sandbox.js";
import type { Snapshot } from "../../src/restic/snapshots.js";
import {
  compareRowCounts,
  findSnapshot,
  newestAtOrBefore,
  parseManifest,
} from "../../src/targets/postgres/manifest.js";
import { parseRowCounts } from "../../src/targets/postgres/rowcounts.js";

const snap = (id: string, time: string, tags: Record<string, string>): Snapshot => ({
  id,
  time: new Date(time),
  paths: [`/postgres__${tags.target}__manifest.json`],
  hostname: "h",
  tags,
});

const sha = "a".repeat(64);

describe("newestAtOrBefore", () => {
  const list = [
    snap("3333333333", "2026-05-01T05:00:00Z", { kind: "manifest", target: "db" }),
    snap("1111111111", "2026-05-01T03:00:00Z", { kind: "manifest", target: "db" }),
    snap("2222222222", "2026-05-01T04:00:00Z", { kind: "manifest", target: "db" }),
    snap("4444444444", "2026-05-01T06:00:00Z", { kind: "manifest", target: "other" }),
  ];

  it("picks the newest snapshot of the target when no time is given", () => {
    expect(newestAtOrBefore(list, { kind: "manifest", target: "db" })?.id).toBe("3333333333");
  });

  it("picks the newest snapshot at or before the time, counting one exactly at it", () => {
    expect(newestAtOrBefore(list, { target: "db" }, new Date("2026-05-01T04:30:00Z"))?.id).toBe("2222222222");
    expect(newestAtOrBefore(list, { target: "db" }, new Date("2026-05-01T04:00:00Z"))?.id).toBe("2222222222");
  });

  it("finds nothing before the first backup", () => {
    expect(newestAtOrBefore(list, { target: "db" }, new Date("2026-05-01T02:59:59Z"))).toBeUndefined();
  });

  it("matches a snapshot id by a unique prefix of at least 8 characters", () => {
    expect(findSnapshot(list, "22222222")?.id).toBe("2222222222");
    expect(findSnapshot(list, "2222")).toBeUndefined();
  });
});

describe("parseManifest", () => {
  const file = {
    kind: "postgres",
    database: "app",
    file: "x.dump",
    snapshot: "abcdef12",
    size: 10,
    sha256: sha,
  };

  it("reads a manifest with recorded row counts", () => {
    const text = JSON.stringify({ target: "db", run: "r", files: [{ ...file, tables: { "public.t": 3 } }] });
    expect(parseManifest(text).files[0]?.tables).toEqual({ "public.t": 3 });
  });

  it("reads a manifest written before row counts were recorded", () => {
    expect(
      parseManifest(JSON.stringify({ target: "db", run: "r", files: [file] })).files[0]?.tables,
    ).toBeUndefined();
  });

  it("names the field that is wrong", () => {
    const bad = JSON.stringify({ target: "db", run: "r", files: [{ ...file, sha256: "nope" }] });
    expect(() => parseManifest(bad)).toThrow("files[0].sha256");
    expect(() => parseManifest("{")).toThrow("manifest is not JSON");
  });
});

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

describe("abandoned", () => {
  const now = new Date("2026-05-01T06:00:00Z");
  const ctx = { host: "agent", now, maxAgeMs: 3_600_000, isAlive: (pid: number) => pid === 42 };
  const box = (owner: string | undefined, created = "2026-05-01T05:59:00Z"): LabelledContainer => ({
    id: "c",
    name: "c",
    image: "i",
    labels: owner ? { "backup-agent.owner": owner } : {},
    created: new Date(created),
  });

  it("leaves a container of a verify still running in a live agent alone", () => {
    expect(abandoned(box("agent:42"), ctx)).toBeUndefined();
    expect(abandoned(box("other-host:7"), ctx)).toBeUndefined();
  });

  it("reaps a container whose agent died, or one older than the verify timeout", () => {
    expect(abandoned(box("agent:7"), ctx)).toContain("pid 7");
    expect(abandoned(box("other-host:7", "2026-05-01T04:00:00Z"), ctx)).toContain("older than");
  });
});
