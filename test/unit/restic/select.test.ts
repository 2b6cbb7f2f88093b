import { describe, expect, it } from "vitest";
import type { Snapshot } from "../../../src/restic/repository.js";
import { findSnapshot, newestAtOrBefore } from "../../../src/restic/select.js";

const snap = (id: string, time: string, tags: Record<string, string>): Snapshot => ({
  id,
  time: new Date(time),
  rawTime: time,
  paths: [`/postgres__${tags.target}__manifest.json`],
  hostname: "h",
  tags,
});

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

