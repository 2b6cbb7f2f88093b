import { describe, expect, it } from "vitest";
import { evaluateStatus, type StatusInput } from "../../../src/report/status.js";
import type { VerifyRecord } from "../../../src/report/verify-record.js";
import type { Snapshot } from "../../../src/restic/repository.js";

const H = 3_600_000;
const now = new Date("2026-11-21T12:00:00Z");
const thresholds = { warnAfterMs: 25 * H, criticalAfterMs: 50 * H, verifyMaxAgeMs: 8 * 24 * H, offsiteMaxLagMs: 50 * H, walMaxLagMs: 300_000, walWarnRetainedBytes: 2 ** 31 };

function snap(kind: string, target: string, hoursAgo: number, extra: Record<string, string> = {}, bytes = 1000): Snapshot {
  return {
    id: `${kind}-${target}-${hoursAgo}`,
    time: new Date(now.getTime() - hoursAgo * H),
    rawTime: new Date(now.getTime() - hoursAgo * H).toISOString(),
    paths: [`/${kind}__${target}`],
    hostname: "h",
    tags: { kind, target, run: "r", ...extra },
    totalBytes: bytes,
  };
}

function verifyRecord(hoursAgo: number, results: VerifyRecord["results"], errors: string[] = []): VerifyRecord {
  const at = new Date(now.getTime() - hoursAgo * H).toISOString();
  return { runId: "v", startedAt: at, finishedAt: at, ok: results.every((r) => r.ok) && errors.length === 0, durationSeconds: 5, results, errors };
}

function input(over: Partial<StatusInput>): StatusInput {
  return {
    snapshots: [],
    current: [
      { kind: "postgres", name: "db" },
      { kind: "volume", name: "shop_uploads" },
    ],
    expected: [],
    unprotected: [],
    verify: undefined,
    ...over,
  };
}

const fresh = [
  snap("postgres-globals", "db", 2),
  snap("postgres", "db", 2, { database: "shop" }, 5000),
  snap("postgres", "db", 2, { database: "postgres" }, 700),
  snap("volume", "shop_uploads", 3),
];

describe("status levels", () => {
  it("is GOOD with fresh backups of every target and a passed verify", () => {
    const report = evaluateStatus(
      input({ snapshots: fresh, verify: verifyRecord(30, [{ kind: "postgres", target: "db", database: "", ok: true }]) }),
      thresholds,
      now,
    );
    expect(report.problems).toEqual([]);
    expect([report.level, report.exitCode]).toEqual(["GOOD", 0]);
    const db = report.targets.find((t) => t.target === "db");
    expect(db).toMatchObject({ kind: "postgres", ageSeconds: 2 * 3600, sizeBytes: 6700, verify: "passed", level: "GOOD" });
    expect(db?.databases.map((d) => d.database).sort()).toEqual(["postgres", "shop"]);
  });

  it("is CRITICAL when the repository holds no backup at all", () => {
    const report = evaluateStatus(input({}), thresholds, now);
    expect([report.level, report.exitCode]).toEqual(["CRITICAL", 2]);
    expect(report.problems[0]?.message).toBe("the repository holds no backup at all");
  });

  it("is WARNING past 25 h and CRITICAL past 50 h, naming the target and its age", () => {
    const warn = evaluateStatus(input({ snapshots: [...fresh.slice(0, 3), snap("volume", "shop_uploads", 26)] }), thresholds, now);
    expect([warn.level, warn.exitCode]).toEqual(["WARNING", 1]);
    expect(warn.problems.map((p) => p.message)).toEqual(["volume/shop_uploads: no backup for 26 h (warning after 25 h)"]);
    const crit = evaluateStatus(input({ snapshots: [...fresh.slice(0, 3), snap("volume", "shop_uploads", 51)] }), thresholds, now);
    expect([crit.level, crit.exitCode]).toEqual(["CRITICAL", 2]);
  });

  it("follows configured thresholds", () => {
    const report = evaluateStatus(input({ snapshots: fresh }), { ...thresholds, warnAfterMs: 1 * H, criticalAfterMs: 2.5 * H }, now);
    expect(report.level).toBe("CRITICAL");
    expect(report.targets.map((t) => t.level)).toEqual(["WARNING", "CRITICAL"]);
  });

  it("warns about a target found but never backed up, and an expected target that has no container", () => {
    const report = evaluateStatus(
      input({ snapshots: [...fresh, snap("exec", "mariadb", 1)], current: [...(input({}).current ?? []), { kind: "meilisearch", name: "search" }], expected: ["exec/mariadb"] }),
      thresholds,
      now,
    );
    expect(report.level).toBe("WARNING");
    expect(report.missing).toEqual(["exec/mariadb", "meilisearch/search"]);
  });

  it("warns about unprotected volumes, a failed verify (naming the target) and a lagging offsite", () => {
    const report = evaluateStatus(
      input({
        snapshots: fresh,
        unprotected: ["shop_cache"],
        verify: verifyRecord(10, [{ kind: "postgres", target: "db", database: "shop", ok: false }], ["row counts differ"]),
        offsite: { newest: new Date(now.getTime() - 60 * H) },
      }),
      thresholds,
      now,
    );
    expect(report.level).toBe("WARNING");
    expect(report.problems.map((p) => p.message)).toEqual([
      "postgres/db: the last verify failed",
      "volume shop_cache is unprotected: no target backs it up and no label excludes it",
      "the last verify (2026-11-21T02:00:00.000Z) failed: row counts differ",
      "offsite is 58 h behind the local repository (warning after 50 h)",
    ]);
    expect(report.verify?.failed).toEqual(["postgres/db"]);
  });

  it("warns when verify is older than its limit, or never ran while backups are older than it", () => {
    const old = [snap("postgres", "db", 24 * 9, { database: "shop" }), ...fresh];
    expect(evaluateStatus(input({ snapshots: old }), thresholds, now).problems.map((p) => p.message)).toEqual([
      "no verify has ever run, and backups exist for 216 h",
    ]);
    expect(evaluateStatus(input({ snapshots: fresh }), thresholds, now).level).toBe("GOOD");
    const stale = evaluateStatus(input({ snapshots: fresh, verify: verifyRecord(24 * 9, []) }), thresholds, now);
    expect(stale.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^the last verify ran 216 h ago/)]);
  });

  it("shows a target only the repository remembers without judging it, unless Docker cannot be asked", () => {
    const gone = [...fresh, snap("postgres", "legacy", 24 * 30, { database: "old" })];
    const report = evaluateStatus(input({ snapshots: gone, verify: verifyRecord(30, []) }), thresholds, now);
    expect(report.level).toBe("GOOD");
    expect(report.targets.find((t) => t.target === "legacy")?.source).toBe("history");
    const blind = evaluateStatus(input({ snapshots: gone, current: undefined, discoveryError: "connect ENOENT /var/run/docker.sock" }), thresholds, now);
    expect(blind.level).toBe("CRITICAL");
    expect(blind.problems.map((p) => p.message)).toContain("cannot discover targets in Docker: connect ENOENT /var/run/docker.sock");
  });

  it("is CRITICAL when the repository cannot be read", () => {
    const report = evaluateStatus(input({ repositoryError: "wrong password (exit 12)" }), thresholds, now);
    expect(report.level).toBe("CRITICAL");
    expect(report.problems.map((p) => p.message)).toContain("cannot read the repository: wrong password (exit 12)");
  });
});

describe("status of the repository as a whole", () => {
  const check = {
    runId: "r",
    finishedAt: now.toISOString(),
    subset: "100%",
    ok: false,
    damagedPacks: ["a".repeat(64)],
    missingPacks: [],
    affected: ['postgres target "db" (database app, snapshot 12345678 of 2026-05-01T03:00:00.000Z)'],
    advice: [`restic repair packs ${"a".repeat(64)}`, "restic repair snapshots --forget"],
    error: "repository /srv/restic: restic check --read-data-subset=100% failed: damaged pack aaaa…",
  };

  it("warns when the last repository check found damage, and shows the packs and the repair", () => {
    const report = evaluateStatus(input({ snapshots: [snap("postgres", "db", 1)], check }), thresholds, now);
    expect(report.level).toBe("WARNING");
    expect(report.check).toMatchObject({ ok: false, damagedPacks: check.damagedPacks, advice: check.advice });
    expect(report.problems.map((p) => p.message)).toContain(`the last repository check (${now.toISOString()}) failed: ${check.error}`);
  });

  it("when the repository cannot be read, says so once instead of calling every running target missing", () => {
    const report = evaluateStatus(input({ snapshots: [], current: [{ kind: "postgres", name: "db" }], repositoryError: "wrong repository password (exit code 12)" }), thresholds, now);
    expect(report.level).toBe("CRITICAL");
    expect(report.missing).toEqual([]);
    expect(report.problems.map((p) => p.message)).toEqual(["cannot read the repository: wrong repository password (exit code 12)"]);
    expect(report.targets[0]?.reasons).toEqual(["unknown: the repository cannot be read"]);
  });
});

describe("status of point-in-time recovery", () => {
  const verified = verifyRecord(30, [{ kind: "postgres", target: "db", database: "", ok: true }]);
  const wal = (minutesAgo: number, retained: number) =>
    snap("postgres-wal", "db", minutesAgo / 60, { "wal-time": new Date(now.getTime() - minutesAgo * 60_000).toISOString(), "slot-retained": String(retained) });

  it("shows the recoverable window and stays GOOD while the archive keeps up", () => {
    const report = evaluateStatus(input({ snapshots: [...fresh, snap("postgres-base", "db", 10), wal(3, 1000), wal(1, 16_777_216)], verify: verified }), thresholds, now);
    expect(report.problems).toEqual([]);
    expect(report.pitr).toEqual([
      { target: "db", windowFrom: "2026-11-21T02:00:00.000Z", windowTo: "2026-11-21T11:59:00.000Z", walLagSeconds: 60, baseBackupAgeSeconds: 36_000, baseBackups: 1, slotRetainedBytes: 16_777_216 },
    ]);
  });

  it("warns when the archive lags, when the slot holds too much, and when there is no base backup", () => {
    const lagging = evaluateStatus(input({ snapshots: [...fresh, snap("postgres-base", "db", 10), wal(12, 3 * 2 ** 30)], verify: verified }), thresholds, now);
    expect(lagging.level).toBe("WARNING");
    expect(lagging.problems.map((p) => p.message)).toEqual([
      "postgres/db: the WAL archive is 12 min behind (warning after 5 min): transactions since 2026-11-21T11:48:00.000Z cannot be recovered yet",
      "postgres/db: the replication slot held 3072 MB of WAL on the server (warning above 2048 MB)",
    ]);
    const noBase = evaluateStatus(input({ snapshots: [...fresh, wal(1, 0)], verify: verified }), thresholds, now);
    expect(noBase.problems.map((p) => p.message)).toEqual(["postgres/db: point-in-time recovery has no base backup yet (the basebackup job makes one)"]);
  });
});
