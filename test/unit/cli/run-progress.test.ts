import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { terminalProgress } from "../../../src/cli/run-progress.js";
import { RunHistory } from "../../../src/report/run-history.js";

function streams(isTTY: boolean) {
  const out = { text: "" };
  const stderr = { isTTY, columns: 200, write: (s: string) => ((out.text += s), true) } as unknown as NodeJS.WriteStream;
  const stdout = new Writable({
    write(chunk: Buffer, _e, done) {
      out.text += `[log:${chunk.toString().trim()}]`;
      done();
    },
  });
  return { out, stderr, stdout };
}

describe("run progress on a terminal", () => {
  it("draws each item's target, bytes and rate, keeps log lines above the progress line, and clears it at the end", () => {
    const { out, stderr, stdout } = streams(true);
    const progress = terminalProgress(stderr, stdout);
    const history = new RunHistory();
    const detach = progress.attach(history);
    history.started("backup", "r", "cli");
    history.progress("r", { kind: "postgres", target: "db", item: "app.dump", bytes: 3 * 1048576 });
    progress.logs?.write("stored app.dump\n");
    history.progress("r", { kind: "volume", target: "uploads", item: "uploads", bytes: 1024, totalBytes: 4096 });
    history.progress("r", { kind: "postgres", target: "db", item: "app.dump", bytes: 4 * 1048576, done: true });
    detach();
    expect(out.text).toContain("\r\x1b[2Kpostgres/db app.dump 3.0 MiB - 0:00");
    expect(out.text).toContain("\r\x1b[2K[log:stored app.dump]\r\x1b[2Kpostgres/db app.dump 3.0 MiB");
    expect(out.text).toContain("volume/uploads 25% 1.0 KiB of 4.0 KiB");
    expect(out.text.endsWith("\r\x1b[2K")).toBe(true);
  });

  it("draws nothing and leaves the logs alone when stderr is not a terminal", () => {
    const { out, stderr, stdout } = streams(false);
    const progress = terminalProgress(stderr, stdout);
    expect(progress.logs).toBeUndefined();
    const history = new RunHistory();
    const detach = progress.attach(history);
    history.started("backup", "r", "cli");
    history.progress("r", { kind: "postgres", target: "db", item: "app.dump", bytes: 1 });
    detach();
    expect(out.text).toBe("");
  });
});
