// The runs the daemon has seen, in memory: the running ones with their live progress (bytes streamed,
// rate, current target) and the last finished ones with their outcome and log tail, for the status
// page and the terminal. Finished runs expire after 30 days; the repository stays the source of truth.
import { renderError } from "../core/errors.js";
import type { JobName, RunProgress } from "../core/job.js";
import type { RunOutcome, RunResult } from "../core/runner.js";

export const HISTORY_MAX_AGE_MS = 30 * 86_400_000;

/** One item being stored right now. */
export interface LiveItem {
  kind: string;
  target: string;
  item: string;
  bytes: number;
  totalBytes: number | undefined;
  elapsedSeconds: number;
  /** Bytes per second since the item started. */
  rate: number;
}

export interface LiveRun {
  runId: string;
  job: JobName;
  trigger: string;
  startedAt: string;
  elapsedSeconds: number;
  /** Every byte stored by the run so far, finished items included. */
  bytes: number;
  /** Items stored so far. */
  stored: number;
  items: LiveItem[];
}

export interface FinishedRun {
  runId: string;
  job: JobName;
  trigger: string;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  result: RunResult;
  /** The error's first line (the whole of it is the tail's last line). */
  error: string | undefined;
  bytes: number;
  /** The end of the run's log, as the healthchecks ping body carries it. */
  tail: string;
}

interface Active {
  runId: string;
  job: JobName;
  trigger: string;
  started: number;
  doneBytes: number;
  stored: number;
  items: Map<string, { p: RunProgress; started: number; updated: number }>;
}

export interface RunHistoryOptions {
  /** How many finished runs are kept. */
  limit?: number;
  maxAgeMs?: number;
  now?: () => number;
}

export class RunHistory {
  readonly #active = new Map<string, Active>();
  readonly #finished: FinishedRun[] = [];
  readonly #listeners = new Set<(p: RunProgress) => void>();
  readonly #limit: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(options: RunHistoryOptions = {}) {
    this.#limit = options.limit ?? 50;
    this.#maxAgeMs = options.maxAgeMs ?? HISTORY_MAX_AGE_MS;
    this.#now = options.now ?? Date.now;
  }

  started(job: JobName, runId: string, trigger: string): void {
    this.#active.set(runId, { runId, job, trigger, started: this.#now(), doneBytes: 0, stored: 0, items: new Map() });
  }

  progress(runId: string, p: RunProgress): void {
    const run = this.#active.get(runId);
    if (!run) return;
    const key = `${p.kind}/${p.target}/${p.item}`;
    const now = this.#now();
    const seen = run.items.get(key);
    if (p.done) {
      run.items.delete(key);
      run.doneBytes += Math.max(p.bytes, seen?.p.bytes ?? 0);
      run.stored++;
    } else {
      run.items.set(key, { p, started: seen?.started ?? now, updated: now });
    }
    for (const listener of this.#listeners) listener(p);
  }

  finished(outcome: RunOutcome & { result: RunResult }, tail: string): void {
    const run = this.#active.get(outcome.runId);
    this.#active.delete(outcome.runId);
    const finished = this.#now();
    const started = run?.started ?? finished - outcome.durationMs;
    this.#finished.unshift({
      runId: outcome.runId,
      job: outcome.job,
      trigger: run?.trigger ?? "",
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      durationSeconds: outcome.durationMs / 1000,
      result: outcome.result,
      error: outcome.error === undefined ? undefined : renderError(outcome.error).split("\n")[0],
      bytes: run ? run.doneBytes + [...run.items.values()].reduce((n, i) => n + i.p.bytes, 0) : 0,
      tail,
    });
    this.#finished.splice(this.#limit);
  }

  /** The running runs, oldest first, with what each is storing now. */
  running(): LiveRun[] {
    const now = this.#now();
    return [...this.#active.values()].map((run) => {
      const items = [...run.items.values()].map(({ p, started }) => {
        const elapsedSeconds = (now - started) / 1000;
        return {
          kind: p.kind,
          target: p.target,
          item: p.item,
          bytes: p.bytes,
          totalBytes: p.totalBytes,
          elapsedSeconds,
          rate: elapsedSeconds > 0 ? p.bytes / elapsedSeconds : 0,
        };
      });
      return {
        runId: run.runId,
        job: run.job,
        trigger: run.trigger,
        startedAt: new Date(run.started).toISOString(),
        elapsedSeconds: (now - run.started) / 1000,
        bytes: run.doneBytes + items.reduce((n, i) => n + i.bytes, 0),
        stored: run.stored,
        items,
      };
    });
  }

  /** The finished runs of the last 30 days, newest first. */
  recent(): FinishedRun[] {
    const oldest = this.#now() - this.#maxAgeMs;
    while (this.#finished.length && Date.parse(this.#finished.at(-1)?.finishedAt ?? "") < oldest) this.#finished.pop();
    return [...this.#finished];
  }

  /** Calls `listener` on every progress report; returns the unsubscribe. */
  onProgress(listener: (p: RunProgress) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
