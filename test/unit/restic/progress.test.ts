import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatProgress, parseStatusLine, ttyProgress } from "../../../src/restic/progress.js";

// Lines captured from `restic restore --json` 0.18 (throttled so status lines appear), one backup
// status line as documented, a plain-text line and a line cut short.
const lines = readFileSync(join(import.meta.dirname, "../../../test/fixtures/restic-status.jsonl"), "utf8")
  .split("\n")
  .filter(Boolean);

describe("restic status lines", () => {
  it("reads percent_done and bytes_restored from restore status lines and ignores the summary", () => {
    const parsed = lines.map(parseStatusLine);
    const restore = parsed.slice(0, lines.findIndex((l) => l.includes('"summary"')));
    expect(restore.length).toBeGreaterThan(2);
    for (const p of restore) {
      expect(p?.totalBytes).toBe(60100003);
      expect(p?.fraction).toBeGreaterThan(0);
      expect(p?.fraction).toBeLessThanOrEqual(1);
    }
    expect(restore[0]).toEqual({ fraction: 0.3111415318897738, bytesDone: 18699607, totalBytes: 60100003 });
    const fractions = restore.map((p) => p?.fraction ?? 0);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
    expect(parseStatusLine(lines.find((l) => l.includes('"summary"')) as string)).toBeUndefined();
  });

  it("reads bytes_done from backup status lines", () => {
    const backup = lines.find((l) => l.includes("bytes_done")) as string;
    expect(parseStatusLine(backup)).toEqual({ fraction: 0.5, bytesDone: 1024, totalBytes: 2048 });
  });

  it("ignores plain text and a line cut short", () => {
    expect(parseStatusLine(lines.at(-2) as string)).toBeUndefined();
    expect(parseStatusLine(lines.at(-1) as string)).toBeUndefined();
  });

  it("formats a percentage and human sizes", () => {
    expect(formatProgress({ fraction: 0.5, bytesDone: 1024, totalBytes: 3 * 1024 * 1024 })).toBe(
      " 50.0%  1.0 KiB of 3.0 MiB",
    );
  });

  it("draws on a TTY and writes nothing when the stream is not a terminal", () => {
    const written: string[] = [];
    const fake = (isTTY: boolean) =>
      ({ isTTY, write: (s: string) => written.push(s) }) as unknown as NodeJS.WriteStream;
    const quiet = ttyProgress("restoring data", fake(false));
    quiet.update({ fraction: 0.5, bytesDone: 1, totalBytes: 2 });
    quiet.done();
    expect(written).toEqual([]);
    const tty = ttyProgress("restoring data", fake(true));
    tty.update({ fraction: 0.25, bytesDone: 1, totalBytes: 4 });
    tty.done();
    expect(written[0]).toContain("restoring data  25.0%");
    expect(written.at(-1)).toBe("\r\x1b[2K");
  });
});
