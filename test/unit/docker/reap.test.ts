import { describe, expect, it } from "vitest";
import { abandoned } from "../../../src/docker/reap.js";
import type { LabelledContainer } from "../../../src/docker/sandbox.js";

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
