import { describe, expect, it } from "vitest";
import { RunHistory } from "../../../src/report/run-history.js";

function clock(start = Date.parse("2026-11-21T13:00:00Z")) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("run history", () => {
  it("shows what a running run is storing, with its bytes and rate, and drops an item once it is stored", () => {
    const c = clock();
    const history = new RunHistory({ now: c.now });
    history.started("backup", "r1", "cli");
    history.progress("r1", { kind: "postgres", target: "db", item: "app.dump", bytes: 1000 });
    c.advance(2000);
    history.progress("r1", { kind: "postgres", target: "db", item: "app.dump", bytes: 5000 });
    const [run] = history.running();
    expect(run).toMatchObject({ job: "backup", trigger: "cli", elapsedSeconds: 2, bytes: 5000, stored: 0 });
    expect(run?.items).toEqual([{ kind: "postgres", target: "db", item: "app.dump", bytes: 5000, totalBytes: undefined, elapsedSeconds: 2, rate: 2500 }]);
    history.progress("r1", { kind: "postgres", target: "db", item: "app.dump", bytes: 6000, done: true });
    expect(history.running()[0]).toMatchObject({ bytes: 6000, stored: 1, items: [] });
  });

  it("keeps the newest finished runs with their outcome, error and log tail, and forgets them after 30 days", () => {
    const c = clock();
    const history = new RunHistory({ now: c.now, limit: 2 });
    for (const id of ["a", "b", "c"]) {
      history.started("postgres", id, "schedule");
      c.advance(1000);
      history.finished({ runId: id, job: "postgres", result: id === "c" ? "failure" : "success", durationMs: 1000, error: id === "c" ? new Error("pg_dump exited 1\nmore") : undefined }, `tail of ${id}`);
    }
    expect(history.recent().map((r) => [r.runId, r.result, r.error, r.tail])).toEqual([
      ["c", "failure", "pg_dump exited 1", "tail of c"],
      ["b", "success", undefined, "tail of b"],
    ]);
    expect(history.running()).toEqual([]);
    c.advance(30 * 86_400_000 + 1);
    expect(history.recent()).toEqual([]);
  });

  it("tells listeners about every progress report", () => {
    const history = new RunHistory();
    const seen: number[] = [];
    const off = history.onProgress((p) => seen.push(p.bytes));
    history.started("backup", "r", "cli");
    history.progress("r", { kind: "volume", target: "v", item: "v", bytes: 1, totalBytes: 2 });
    off();
    history.progress("r", { kind: "volume", target: "v", item: "v", bytes: 2, totalBytes: 2 });
    expect(seen).toEqual([1]);
  });
});
