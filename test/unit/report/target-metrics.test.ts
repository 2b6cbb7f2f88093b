import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { settleWithLimit } from "../../../src/core/limit.js";
import { Metrics } from "../../../src/report/metrics.js";
import { TargetMetrics } from "../../../src/report/target-metrics.js";
import type { Snapshot } from "../../../src/restic/repository.js";

function snap(time: string, tags: Record<string, string>, totalBytes: number): Snapshot {
  return { id: time, time: new Date(time), rawTime: time, paths: [], hostname: "h", tags, totalBytes, durationSeconds: 2 };
}

describe("TargetMetrics.fillFromSnapshots", () => {
  it("sets each target's freshness and size from its newest snapshot, ignoring manifests", async () => {
    const registry = new Registry();
    const metrics = new TargetMetrics(registry);
    const n = metrics.fillFromSnapshots([
      snap("2026-11-20T01:00:00Z", { kind: "postgres", target: "db", database: "app" }, 100),
      snap("2026-11-20T02:00:00Z", { kind: "postgres", target: "db", database: "app" }, 200),
      snap("2026-11-20T02:00:01Z", { kind: "manifest", target: "db" }, 5),
      snap("2026-11-19T02:00:00Z", { kind: "postgres-globals", target: "db" }, 7),
    ]);
    expect(n).toBe(2);
    const text = await registry.metrics();
    expect(text).toContain(
      `backup_target_last_success_timestamp_seconds{kind="postgres",target="db",database="app"} ${Date.parse("2026-11-20T02:00:00Z") / 1000}`,
    );
    expect(text).toContain('backup_target_last_size_bytes{kind="postgres",target="db",database="app"} 200');
    expect(text).toContain(
      'backup_target_last_size_bytes{kind="postgres-globals",target="db",database=""} 7',
    );
    expect(text).not.toContain('kind="manifest"');
  });
});

describe("settleWithLimit", () => {
  it("runs every task, never more than the limit at once, and keeps each outcome", async () => {
    let running = 0;
    let most = 0;
    const results = await settleWithLimit([1, 2, 3, 4, 5], 2, async (n) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setImmediate(r));
      running--;
      if (n === 3) throw new Error("three");
      return n * 10;
    });
    expect(most).toBe(2);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([
      10,
      20,
      "three",
      40,
      50,
    ]);
  });
});

describe("restore-verify gauges", () => {
  it("are absent from /metrics until a verify ran, so a new agent does not read as a failed verify", async () => {
    const metrics = new Metrics(["verify"], "test");
    expect(await metrics.registry.metrics()).not.toContain("backup_restore_verify_success");
    metrics.verifySuccess.set(1);
    metrics.verifySuccess.set(0);
    expect(await metrics.registry.metrics()).toMatch(/^backup_restore_verify_success 0$/m);
  });
});
