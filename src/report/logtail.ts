// Keeps the tail of each running run's log lines, for the body of its healthchecks ping.
import { Writable } from "node:stream";

/** healthchecks.io self-hosted keeps 10 kB of a ping body by default. */
export const TAIL_LIMIT_BYTES = 10_000;

const LEVELS: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

export class LogTails extends Writable {
  readonly #runs = new Map<string, string[]>();

  open(runId: string): void {
    this.#runs.set(runId, []);
  }

  /** Returns the run's tail (at most limit bytes, whole lines, newest last) and forgets the run. */
  close(runId: string, limit = TAIL_LIMIT_BYTES): string {
    const lines = this.#runs.get(runId) ?? [];
    this.#runs.delete(runId);
    return tail(lines, limit);
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString().split("\n")) {
      if (line) this.#add(line);
    }
    done();
  }

  #add(line: string): void {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line);
    } catch {
      return;
    }
    const lines = typeof entry.runId === "string" ? this.#runs.get(entry.runId) : undefined;
    if (!lines) return;
    const time = new Date(Number(entry.time)).toISOString();
    const level = LEVELS[Number(entry.level)] ?? "INFO";
    // An error's line already says it and its causes (logFailure renders them into the message).
    lines.push(`${time} ${level} ${String(entry.msg ?? "")}`);
    // Keep memory bounded on chatty runs: drop the oldest lines well past the limit.
    if (lines.length > 2000) lines.splice(0, lines.length - 1000);
  }
}

/** The last lines of text that fit in limit bytes (UTF-8), cut at a line boundary. */
export function tail(lines: readonly string[], limit: number): string {
  const kept: string[] = [];
  let size = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    const bytes = Buffer.byteLength(line) + 1;
    if (size + bytes > limit) break;
    kept.unshift(line);
    size += bytes;
  }
  return kept.join("\n");
}
