// The outcome of each verify run, kept in the repository (kind=verify): `status` reads it without
// the daemon, and a restarted daemon reports the last verify instead of forgetting it.
import { logFailure } from "../core/errors.js";
import type { Logger } from "pino";
import { readText } from "../restic/read-text.js";
import type { Repository, Snapshot } from "../restic/repository.js";
import { KIND } from "../restic/tags.js";

/** The target= tag of verify records. */
export const VERIFY_TARGET = "restore-verify";

export interface VerifyTargetResult {
  kind: string;
  target: string;
  /** "" for the target as a whole. */
  database: string;
  ok: boolean;
}

/** The per-target verify gauge, as verify's steps see it (the job also records each value). */
export interface VerifyTargetGauge {
  set(labels: { kind: string; target: string; database: string }, value: number): void;
}

/** A gauge that also keeps what it was told, for the record. */
export function recordingGauge(inner: VerifyTargetGauge): VerifyTargetGauge & { results(): VerifyTargetResult[] } {
  const results = new Map<string, VerifyTargetResult>();
  return {
    set(labels, value) {
      inner.set(labels, value);
      results.set(JSON.stringify([labels.kind, labels.target, labels.database]), { ...labels, ok: value === 1 });
    },
    results: () => [...results.values()],
  };
}

export interface VerifyRecord {
  runId: string;
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  durationSeconds: number;
  results: VerifyTargetResult[];
  /** Why it failed: one line per failed target. */
  errors: string[];
}

/** The newest verify record among the snapshots, read back from the repository; undefined if none. */
export async function readLastVerify(
  repository: Repository,
  snapshots: readonly Snapshot[],
  signal: AbortSignal,
  log?: Logger,
): Promise<VerifyRecord | undefined> {
  const newest = snapshots.filter((s) => s.tags.kind === KIND.verify).at(-1);
  if (!newest) return undefined;
  const path = newest.paths[0] ?? "";
  try {
    return JSON.parse(await readText(repository, newest.id, path, signal)) as VerifyRecord;
  } catch (error) {
    if (log) logFailure(log, "cannot read the last verify record", error, { snapshot: newest.id }, "warn");
    // The tags alone still say when and how it ended.
    return {
      runId: newest.tags.run ?? "",
      startedAt: newest.time.toISOString(),
      finishedAt: newest.time.toISOString(),
      ok: newest.tags.result === "passed",
      durationSeconds: 0,
      results: [],
      errors: newest.tags.result === "passed" ? [] : ["(the record could not be read)"],
    };
  }
}
