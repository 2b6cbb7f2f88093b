import { describe, expect, it } from "vitest";
import { formatOwner, type Owner } from "../../../src/docker/owner.js";
import { abandoned, type ReapContext } from "../../../src/docker/reap.js";
import type { LabelledContainer } from "../../../src/docker/sandbox.js";

describe("abandoned", () => {
  const now = new Date("2026-05-01T06:00:00Z");
  const live = new Set(["c=live-container;cs=t1;p=7;ps=100", "b=boot-1;p=42;ps=500"]);
  const unseen = new Set(["b=other-boot;p=9;ps=1"]);
  const ctx: ReapContext = {
    now,
    maxAgeMs: 3_600_000,
    state: async (o) => (live.has(formatOwner(o)) ? "alive" : unseen.has(formatOwner(o)) ? "unknown" : "gone"),
    host: "agent",
    isAlive: (pid: number) => pid === 42,
  };
  const box = (owner: string | undefined, created = "2026-05-01T05:59:00Z"): LabelledContainer => ({
    id: "c",
    name: "c",
    image: "i",
    labels: owner ? { "backup-agent.owner": owner } : {},
    created: new Date(created),
  });
  const owner = (o: Owner) => formatOwner(o);

  it("leaves a container of a verify still running in a live agent alone", async () => {
    expect(await abandoned(box(owner({ container: "live-container", containerStarted: "t1", pid: 7, pidStarted: "100" })), ctx)).toBeUndefined();
    expect(await abandoned(box(owner({ boot: "boot-1", pid: 42, pidStarted: "500" })), ctx)).toBeUndefined();
  });

  it("reaps a container whose agent's container is gone or was recreated, even with the same pid", async () => {
    // Every one-off `compose run` container runs the agent as pid 7: only the container tells them apart.
    expect(await abandoned(box(owner({ container: "gone-container", containerStarted: "t1", pid: 7, pidStarted: "100" })), ctx)).toContain("container gone-contain is gone");
    expect(await abandoned(box(owner({ container: "live-container", containerStarted: "t0", pid: 7, pidStarted: "100" })), ctx)).toContain("gone, stopped or restarted");
  });

  it("reaps a container whose host process is gone", async () => {
    expect(await abandoned(box(owner({ boot: "boot-1", pid: 42, pidStarted: "499" })), ctx)).toContain("pid 42");
  });

  it("never reaps a live agent's long restore by age; reaps by age only an owner it cannot see", async () => {
    const longAgo = "2026-05-01T01:00:00Z";
    expect(await abandoned(box(owner({ container: "live-container", containerStarted: "t1", pid: 7, pidStarted: "100" }), longAgo), ctx)).toBeUndefined();
    expect(await abandoned(box(owner({ boot: "other-boot", pid: 9, pidStarted: "1" })), ctx)).toBeUndefined();
    expect(await abandoned(box(owner({ boot: "other-boot", pid: 9, pidStarted: "1" }), longAgo), ctx)).toContain("older than");
    expect(await abandoned(box("agent:42", longAgo), ctx)).toContain("older than");
  });

  it("still reads the owner labels of earlier agents (hostname:pid)", async () => {
    expect(await abandoned(box("agent:42"), ctx)).toBeUndefined();
    expect(await abandoned(box("other-host:7"), ctx)).toBeUndefined();
    expect(await abandoned(box("agent:7"), ctx)).toContain("pid 7");
  });
});
