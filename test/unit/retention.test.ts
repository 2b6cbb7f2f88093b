import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import type { ConfigError } from "../../src/core/errors.js";
import { forgetArgs, forgottenIds, hasPolicy, policyArgs, retentionGroups } from "../../src/restic/forget.js";
import type { Snapshot } from "../../src/restic/snapshots.js";

const VALID = { RESTIC_REPOSITORY: "/srv/restic", RESTIC_PASSWORD: "pw" };

function snap(tags: Record<string, string>): Snapshot {
  return { id: Math.random().toString(16).slice(2), time: new Date(), paths: [], hostname: "h", tags };
}

describe("retention policy", () => {
  it("turns every configured key into its restic forget flag, in a fixed order", () => {
    expect(policyArgs({ within: "14d", daily: 7, last: 3, yearly: 2 })).toEqual([
      "--keep-last",
      "3",
      "--keep-daily",
      "7",
      "--keep-yearly",
      "2",
      "--keep-within",
      "14d",
    ]);
    expect(hasPolicy({})).toBe(false);
    expect(hasPolicy({ hourly: 24 })).toBe(true);
  });

  it("reads the local and offsite policies from BACKUP_KEEP_* and BACKUP_OFFSITE_KEEP_*", () => {
    const config = loadConfig({
      ...VALID,
      BACKUP_KEEP_DAILY: "7",
      BACKUP_KEEP_WITHIN: "2d",
      BACKUP_OFFSITE_REPOSITORY: "rest:http://127.0.0.1:8000/",
      BACKUP_OFFSITE_PASSWORD: "other",
      BACKUP_OFFSITE_KEEP_DAILY: "14",
    });
    expect(config.retention).toEqual({ local: { daily: 7, within: "2d" }, offsite: { daily: 14 } });
    expect(config.offsite?.repositoryDisplay).toBe("rest:http://127.0.0.1:8000/");
    expect(loadConfig(VALID).retention).toEqual({ local: {}, offsite: {} });
  });

  it("refuses a keep count that is not a whole number and a keep-within restic cannot read", () => {
    try {
      loadConfig({ ...VALID, BACKUP_KEEP_DAILY: "seven", BACKUP_KEEP_WITHIN: "2 weeks" });
      expect.unreachable();
    } catch (error) {
      const problems = (error as ConfigError).problems.join("\n");
      expect(problems).toContain('BACKUP_KEEP_DAILY: expected a whole number from 1 to 100000; got "seven"');
      expect(problems).toContain("BACKUP_KEEP_WITHIN: expected a restic duration");
    }
  });

  it("refuses an offsite repository without its password", () => {
    expect(() => loadConfig({ ...VALID, BACKUP_OFFSITE_REPOSITORY: "/mnt/offsite" })).toThrow(
      /BACKUP_OFFSITE_REPOSITORY and BACKUP_OFFSITE_PASSWORD: set both/,
    );
  });
});

describe("retention groups", () => {
  it("makes one group per kind, target and database, ignoring the run id", () => {
    const groups = retentionGroups([
      snap({ kind: "postgres", target: "db", database: "app", run: "1" }),
      snap({ kind: "postgres", target: "db", database: "app", run: "2" }),
      snap({ kind: "postgres", target: "db", database: "auth", run: "1" }),
      snap({ kind: "postgres-globals", target: "db", run: "1" }),
      snap({ kind: "manifest", target: "db", run: "1" }),
      snap({ kind: "volume", target: "shop_uploads", run: "1" }),
      snap({ run: "x" }),
    ]);
    expect(groups).toEqual([
      { kind: "manifest", target: "db", database: undefined },
      { kind: "postgres", target: "db", database: "app" },
      { kind: "postgres", target: "db", database: "auth" },
      { kind: "postgres-globals", target: "db", database: undefined },
      { kind: "volume", target: "shop_uploads", database: undefined },
    ]);
  });

  it("selects a group by its tags and groups by host, never by the unique run tag", () => {
    expect(forgetArgs({ kind: "postgres", target: "db", database: "app" }, { daily: 7 })).toEqual([
      "forget",
      "--tag",
      "backup-agent,kind=postgres,target=db,database=app",
      "--group-by",
      "host",
      "--keep-daily",
      "7",
    ]);
    expect(forgetArgs({ kind: "volume", target: "v", database: undefined }, { last: 1 })).toContain(
      "backup-agent,kind=volume,target=v",
    );
    // A postgres and a meilisearch target of the same name keep their manifests apart by path.
    expect(forgetArgs({ kind: "manifest", target: "db", database: undefined }, { last: 1 })).toContain(
      "host,paths",
    );
  });

  it("reads the removed snapshot ids from forget --json", () => {
    const json = JSON.stringify([
      { tags: null, keep: [{ id: "k" }], remove: [{ id: "a" }, { id: "b" }] },
      { keep: [{ id: "k2" }], remove: null },
    ]);
    expect(forgottenIds(json)).toEqual(["a", "b"]);
    expect(forgottenIds("")).toEqual([]);
  });
});
