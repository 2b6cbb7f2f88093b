// restic's `--json` status lines (percent_done, bytes_done / bytes_restored) as progress on a TTY.
// Nothing is drawn when the output is not a terminal: logs and pipes stay clean.

export interface Progress {
  /** 0..1 */
  fraction: number;
  bytesDone: number;
  totalBytes: number | undefined;
}

/** A status line of `restic backup|restore --json`, or undefined for anything else. */
export function parseStatusLine(line: string): Progress | undefined {
  if (!line.startsWith("{")) return undefined;
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (m.message_type !== "status") return undefined;
  const fraction = typeof m.percent_done === "number" ? m.percent_done : undefined;
  // backup says bytes_done, restore says bytes_restored.
  const done = [m.bytes_done, m.bytes_restored].find((v) => typeof v === "number") as number | undefined;
  if (fraction === undefined && done === undefined) return undefined;
  const total = typeof m.total_bytes === "number" ? m.total_bytes : undefined;
  const computed = fraction ?? (total && done !== undefined ? done / total : 0);
  return {
    fraction: Math.min(1, Math.max(0, computed)),
    bytesDone: done ?? 0,
    totalBytes: total,
  };
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** One line of text for a progress value: `  42.0%  1.5 MiB of 3.6 MiB`. */
export function formatProgress(p: Progress): string {
  const of = p.totalBytes !== undefined ? ` of ${formatBytes(p.totalBytes)}` : "";
  return `${(p.fraction * 100).toFixed(1).padStart(5)}%  ${formatBytes(p.bytesDone)}${of}`;
}

export interface ProgressSink {
  /** false when nothing is drawn (not a TTY): callers may skip the work of measuring. */
  enabled: boolean;
  update(p: Progress): void;
  /** Clears the progress line (call before printing anything else). */
  done(): void;
}

/** One line of text redrawn in place on a terminal. */
export interface TtyLine {
  enabled: boolean;
  draw(text: string): void;
  /** Clears the line, if drawn. */
  clear(): void;
}

/** A line redrawn in place on `stream` when it is a TTY (cut to its width); a no-op otherwise. */
export function ttyLine(stream: NodeJS.WriteStream = process.stderr): TtyLine {
  if (!stream.isTTY) return { enabled: false, draw: () => undefined, clear: () => undefined };
  let drawn = false;
  return {
    enabled: true,
    draw(text) {
      const width = Math.max(20, (stream.columns || 80) - 1);
      stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
      drawn = true;
    },
    clear() {
      if (drawn) stream.write("\r\x1b[2K");
      drawn = false;
    },
  };
}

/** Draws progress on `stream` when it is a TTY; a no-op sink otherwise. */
export function ttyProgress(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  const line = ttyLine(stream);
  return { enabled: line.enabled, update: (p) => line.draw(`${label} ${formatProgress(p)}`), done: () => line.clear() };
}
