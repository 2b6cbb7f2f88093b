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
  /** Absent in records written before offsite verify: the local repository. */
  repository?: VerifiedRepository;
  kind: string;
  target: string;
  /** "" for the target as a whole. */
  database: string;
  ok: boolean;
  /** For the target as a whole: how long restoring it took. */
  restoreSeconds?: number;
}

/** Which repository a result is about: the local one, or the offsite copy a disaster restores from. */
export type VerifiedRepository = "local" | "offsite";

export interface VerifyLabels {
  repository: VerifiedRepository;
  kind: string;
  target: string;
  database: string;
}

/** The per-target verify gauges, as verify's steps see them (the job also records each value). */
export interface VerifyTargetGauge {
  set(labels: VerifyLabels, value: number): void;
  /** How long restoring the target took (the recovery time a disaster would take). */
  restored(labels: Omit<VerifyLabels, "database">, seconds: number): void;
}

/** Gauges that also keep what they were told, for the record. */
export function recordingGauge(inner: VerifyTargetGauge): VerifyTargetGauge & { results(): VerifyTargetResult[] } {
  const results = new Map<string, VerifyTargetResult>();
  const key = (l: Omit<VerifyLabels, "database"> & { database?: string }) => JSON.stringify([l.repository, l.kind, l.target, l.database ?? ""]);
  return {
    set(labels, value) {
      inner.set(labels, value);
      const known = results.get(key(labels));
      results.set(key(labels), { ...known, ...labels, ok: value === 1 });
    },
    restored(labels, seconds) {
      inner.restored(labels, seconds);
      const known = results.get(key(labels));
      results.set(key(labels), { ...labels, database: "", ok: known?.ok ?? false, ...known, restoreSeconds: seconds });
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
