import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import type { ConfigError } from "../../../src/core/errors.js";
import pino from "pino";
import { applyRetention, runsToForget } from "../../../src/jobs/retention.js";
import { MemoryRepository } from "../../../src/restic/memory-repository.js";
import { applyPolicy, hasPolicy, policyArgs } from "../../../src/restic/policy.js";

// Any executable serves as RESTIC_BINARY: loading the config only checks that it can be run.
const VALID = { RESTIC_REPOSITORY: "/srv/restic", RESTIC_PASSWORD: "pw", RESTIC_BINARY: process.execPath };


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


/**
 * A day of hourly runs of one PostgreSQL target, each storing two dumps, the globals and a manifest a
 * few seconds apart; the 23:00 run crosses midnight (its manifest is stored on the next day).
 */
function history(repo: MemoryRepository, days: string[]): string[] {
  const runs: string[] = [];
  for (const day of days) {
    for (let hour = 0; hour < 24; hour += 1) {
      const run = `${day}-${String(hour).padStart(2, "0")}`;
      const start = new Date(`${day}T${String(hour).padStart(2, "0")}:59:57Z`);
      const at = (s: number) => new Date(start.getTime() + s * 1000);
      const tags = (kind: string, database?: string) => [
        "backup-agent",
        `kind=${kind}`,
        "target=db",
        `run=${run}`,
        ...(database ? [`database=${database}`] : []),
        ...(kind === "manifest" ? ["for=postgres"] : []),
      ];
      repo.add({ time: at(0), tags: tags("postgres-globals"), files: { "/postgres/db/globals.sql": "g" } });
      repo.add({ time: at(2), tags: tags("postgres", "app"), files: { "/postgres/db/app.dump": "a" } });
      repo.add({ time: at(4), tags: tags("postgres", "auth"), files: { "/postgres/db/auth.dump": "b" } });
      repo.add({ time: at(6), tags: tags("manifest"), files: { "/postgres/db/manifest.json": "{}" } });
      runs.push(run);
    }
  }
  return runs;
}

describe("retention that keeps runs whole", () => {
  const log = pino({ level: "silent" });
  const policy = { hourly: 5, daily: 3 };
  const now = new Date("2026-05-04T12:00:00Z");

  it("keeps or forgets each run's dumps, globals and manifest together across hour and day boundaries", async () => {
    const repo = new MemoryRepository();
    const runs = history(repo, ["2026-05-01", "2026-05-02", "2026-05-03"]);
    const before = await repo.snapshots(AbortSignal.timeout(1000));

    // The history is one a per-kind forget would tear apart: dumps and manifests of a run fall in
    // different hourly buckets, so grouping by kind keeps a manifest whose dumps it drops.
    const perKind = (kind: string) =>
      new Set(applyPolicy(before.filter((s) => s.tags.kind === kind).map((s) => ({ id: s.tags.run as string, time: s.rawTime })), policy, now).keep.map((k) => k.id));
    expect(perKind("manifest")).not.toEqual(perKind("postgres-globals"));

    const result = await applyRetention({ repository: repo, policy, policyVariables: "BACKUP_KEEP_*" }, { signal: AbortSignal.timeout(1000), log });
    const after = await repo.snapshots(AbortSignal.timeout(1000));
    const kept = new Map<string, string[]>();
    for (const s of after) kept.set(s.tags.run as string, [...(kept.get(s.tags.run as string) ?? []), s.tags.kind as string]);
    for (const [run, kinds] of kept) expect(kinds.sort(), run).toEqual(["manifest", "postgres", "postgres", "postgres-globals"]);
    expect(kept.size).toBe(runs.length - result.runs);
    expect(result.forgotten).toBe(result.runs * 4);
    // The runs kept are the policy applied to the runs themselves, by the time each run began.
    const expected = applyPolicy(runs.map((r) => ({ id: r, time: `${r.slice(0, 10)}T${r.slice(11)}:59:57Z` })), policy, now).keep.map((k) => k.id);
    expect([...kept.keys()].sort()).toEqual(expected.sort());
    expect(repo.calls.filter((c) => c.startsWith("prune"))).toHaveLength(1);
  });

  it("applies the policy to each target of each kind on its own, even when two share a name", () => {
    const repo = new MemoryRepository();
    for (let i = 0; i < 4; i += 1) {
      const time = new Date(Date.UTC(2026, 4, 1, i));
      repo.add({ time, tags: ["backup-agent", "kind=meilisearch", "target=app", `run=m${i}`] });
      repo.add({ time, tags: ["backup-agent", "kind=manifest", "target=app", `run=m${i}`, "for=meilisearch"] });
      repo.add({ time, tags: ["backup-agent", "kind=postgres", "target=app", "database=x", `run=p${i}`] });
      repo.add({ time, tags: ["backup-agent", "kind=manifest", "target=app", `run=p${i}`], files: { "/postgres__app__manifest.json": "{}" } });
    }
    const forgotten = runsToForget(repo.stored, { last: 2 }, now).map((u) => u.id).sort();
    expect(forgotten).toEqual(["m0", "m1", "p0", "p1"]);
  });

  it("refuses --prune without a policy, naming the variables, and forgets nothing", async () => {
    const repo = new MemoryRepository();
    history(repo, ["2026-05-01"]);
    await expect(
      applyRetention({ repository: repo, policy: {}, policyVariables: "BACKUP_KEEP_DAILY, _WEEKLY" }, { signal: AbortSignal.timeout(1000), log }),
    ).rejects.toThrow("no retention policy is configured (set at least one of BACKUP_KEEP_DAILY, _WEEKLY)");
    expect(repo.stored).toHaveLength(96);
  });
});

describe("retention of point-in-time recovery", () => {
  const day = 86_400_000;
  const now = new Date("2026-06-30T12:00:00Z");
  const snap = (id: string, kind: string, ageDays: number, extra: Record<string, string> = {}) => {
    const time = new Date(now.getTime() - ageDays * day);
    return { id, time, rawTime: time.toISOString(), paths: [`/postgres__db__${kind}`], hostname: "h", tags: { kind, target: "db", run: `run-${id}`, ...extra } };
  };
  // A base backup every day for 10 days, WAL every 6 hours throughout.
  const bases = Array.from({ length: 10 }, (_, i) => snap(`base${i}`, "postgres-base", 10 - i));
  const wal = Array.from({ length: 44 }, (_, i) => snap(`wal${i}`, "postgres-wal", 11 - i / 4, { "wal-time": "x" }));

  it("keeps the WAL from the oldest kept base backup on and drops the WAL only dropped base backups needed", () => {
    const drop = runsToForget([...bases, ...wal], { daily: 3 }, now);
    const ids = new Set(drop.flatMap((u) => u.snapshots.map((s) => s.id)));
    // The three newest base backups are kept: the oldest of them is 3 days old.
    expect(bases.filter((b) => !ids.has(b.id)).map((b) => b.id)).toEqual(["base7", "base8", "base9"]);
    const keptWal = wal.filter((w) => !ids.has(w.id));
    expect(Math.min(...keptWal.map((w) => now.getTime() - w.time.getTime()))).toBeLessThan(day);
    // Every WAL snapshot after the oldest kept base backup (less the margin) is kept, none before.
    const from = bases[7]!.time.getTime() - 3_600_000;
    expect(keptWal.every((w) => w.time.getTime() >= from)).toBe(true);
    expect(wal.filter((w) => w.time.getTime() >= from).every((w) => !ids.has(w.id))).toBe(true);
    expect(ids.has("wal0")).toBe(true);
  });

  it("never drops WAL by the policy's own buckets, and keeps all of it while no base backup exists", () => {
    const drop = runsToForget(wal, { last: 1 }, now);
    expect(drop).toEqual([]);
  });
});
