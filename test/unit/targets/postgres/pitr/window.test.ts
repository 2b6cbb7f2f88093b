import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MemoryRepository } from "../../../../../src/restic/memory-repository.js";
import { identityTags, KIND } from "../../../../../src/restic/tags.js";
import { writeManifest } from "../../../../../src/targets/manifest.js";
import { storeText } from "../../../../../src/targets/store.js";
import { nextSegment, planRecovery } from "../../../../../src/targets/postgres/pitr/window.js";

const signal = new AbortController().signal;
const SEG = 16 * 1024 * 1024;

/** A repository with one base backup (starting in segment …03) and WAL snapshots cut at the given times. */
async function archive(wal: { at: string; first?: string; last?: string }[]) {
  const repo = new MemoryRepository("memory:pitr");
  const base = await storeText(repo, { parts: ["postgres", "db", "base.tar"], tags: identityTags({ kind: KIND.postgresBase, target: "db", run: "r1" }), signal }, "base");
  const facts = { startSegment: "000000010000000000000003", consistentAt: "2026-06-01T10:00:05.000Z", startedAt: "2026-06-01T10:00:00.000Z", major: 17, segmentBytes: SEG };
  await writeManifest(repo, { kind: KIND.postgresBase, target: "db", run: "r1" }, { target: "db", run: "r1", files: [{ kind: KIND.postgresBase, file: "base.tar", snapshot: base.snapshotId, size: 4, sha256: base.sha256, ...facts }] }, signal);
  for (const [i, w] of wal.entries()) {
    const tags = [...identityTags({ kind: KIND.postgresWal, target: "db", run: `w${i}` }), `wal-time=${w.at}`, ...(w.first ? [`wal-first=${w.first}`, `wal-last=${w.last}`] : [])];
    await storeText(repo, { parts: ["postgres", "db", "wal.tar"], tags, signal }, `wal ${i}`);
  }
  return { repo, snapshots: await repo.snapshots(signal) };
}

describe("the recoverable window", () => {
  // The base backup's snapshot is made at 10:00 (the memory repository stamps snapshots with the clock).
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-06-01T10:00:00Z"));
  });
  afterEach(() => vi.useRealTimers());

  it("counts segment names up across the 4 GiB boundary of the log number", () => {
    expect(nextSegment("0000000100000000000000FE", SEG)).toBe("0000000100000000000000FF");
    expect(nextSegment("0000000100000000000000FF", SEG)).toBe("000000010000000100000000");
    expect(nextSegment("00000002000000000000003F", 64 * 1024 * 1024)).toBe("000000020000000100000000");
  });

  it("uses the base backup and the WAL up to the first cut at or after the time", async () => {
    const { repo, snapshots } = await archive([
      { at: "2026-06-01T10:01:00.000Z", first: "000000010000000000000003", last: "000000010000000000000004" },
      { at: "2026-06-01T10:02:00.000Z" },
      { at: "2026-06-01T10:03:00.000Z", first: "000000010000000000000005", last: "000000010000000000000005" },
      { at: "2026-06-01T10:04:00.000Z" },
    ]);
    const plan = await planRecovery(repo, snapshots, "db", new Date("2026-06-01T10:02:30Z"), signal);
    expect(plan.wal.map((w) => w.cutTime.toISOString())).toEqual(["2026-06-01T10:01:00.000Z", "2026-06-01T10:03:00.000Z"]);
    expect(plan.facts.startSegment).toBe("000000010000000000000003");
  });

  it("refuses a time before the base backup is consistent or after the newest cut, naming the window", async () => {
    const { repo, snapshots } = await archive([{ at: "2026-06-01T10:01:00.000Z", first: "000000010000000000000003", last: "000000010000000000000003" }]);
    await expect(planRecovery(repo, snapshots, "db", new Date("2026-06-01T10:00:03Z"), signal)).rejects.toThrow(/is before the oldest base backup that is consistent by then: the recoverable window of db is from about 2026-06-01T10:00:0\d\.\d+Z to 2026-06-01T10:01:00.000Z/);
    await expect(planRecovery(repo, snapshots, "db", new Date("2026-06-01T10:05:00Z"), signal)).rejects.toThrow(/2026-06-01T10:05:00.000Z is after the newest archived WAL: the recoverable window of db is from about .* to 2026-06-01T10:01:00.000Z/);
  });

  it("fails naming the missing segment and the window when a WAL snapshot is gone", async () => {
    const { repo, snapshots } = await archive([
      { at: "2026-06-01T10:01:00.000Z", first: "000000010000000000000003", last: "000000010000000000000003" },
      // …04 was in a snapshot that was lost.
      { at: "2026-06-01T10:03:00.000Z", first: "000000010000000000000005", last: "000000010000000000000006" },
    ]);
    await expect(planRecovery(repo, snapshots, "db", new Date("2026-06-01T10:02:59Z"), signal)).rejects.toThrow(
      /WAL segment 000000010000000000000004 is missing from the archive: no time after it can be recovered from this base backup; the recoverable window of db is/,
    );
  });
});
