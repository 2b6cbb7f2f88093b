// `run <job>` on a terminal: one line redrawn on stderr with what each target is storing now (bytes,
// rate, elapsed; percent for volumes, from restic's status lines). Log lines go above it: the logs'
// destination clears the line before each one and redraws it after. Not a terminal: nothing at all.
import { Writable } from "node:stream";
import { formatBytes, ttyLine } from "../restic/progress.js";
import type { LiveItem, RunHistory } from "../report/run-history.js";

export interface TerminalProgress {
  /** Where the logger writes instead of stdout (undefined: stdout as usual). */
  logs: NodeJS.WritableStream | undefined;
  /** Draws the history's running items until the returned function is called. */
  attach(history: RunHistory): () => void;
}

const elapsed = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;

export function formatItem(i: LiveItem): string {
  const size = i.totalBytes ? `${((100 * i.bytes) / i.totalBytes).toFixed(0)}% ${formatBytes(i.bytes)} of ${formatBytes(i.totalBytes)}` : formatBytes(i.bytes);
  const rate = i.elapsedSeconds >= 0.5 ? `${formatBytes(i.rate)}/s` : "-";
  const name = i.item === i.target ? `${i.kind}/${i.target}` : `${i.kind}/${i.target} ${i.item}`;
  return `${name} ${size} ${rate} ${elapsed(i.elapsedSeconds)}`;
}

export function terminalProgress(stderr: NodeJS.WriteStream = process.stderr, stdout: NodeJS.WritableStream = process.stdout): TerminalProgress {
  const line = ttyLine(stderr);
  if (!line.enabled) return { logs: undefined, attach: () => () => undefined };
  let text = "";
  const logs = new Writable({
    write(chunk: Buffer, _encoding, done) {
      line.clear();
      stdout.write(chunk);
      if (text) line.draw(text);
      done();
    },
  });
  return {
    logs,
    attach(history) {
      let last = 0;
      const draw = (force: boolean) => {
        const now = Date.now();
        if (!force && now - last < 250) return;
        last = now;
        text = history.running().flatMap((r) => r.items).map(formatItem).join("  |  ");
        if (text) line.draw(text);
        else line.clear();
      };
      const known = new Set<string>();
      const off = history.onProgress((p) => {
        const key = `${p.kind}/${p.target}/${p.item}`;
        // An item's first and last report are always drawn, however fast it was.
        const force = p.done === true || !known.has(key);
        known.add(key);
        draw(force);
      });
      const timer = setInterval(() => draw(true), 1000).unref();
      return () => {
        off();
        clearInterval(timer);
        text = "";
        line.clear();
      };
    },
  };
}
