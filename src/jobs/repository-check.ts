// `restic check` as backup --check, verify and the check job run it: on damage, the error names each
// damaged or missing pack, the targets whose backups hold data in them, and how to repair; the
// outcome is the repository metric and a record in the repository that `status` reads.
import { BackupError, logFailure } from "../core/errors.js";
import type { RunContext } from "../core/job.js";
import { type CheckRecord, checkTarget } from "../report/check-record.js";
import type { RepositoryMetrics } from "../report/repository-metrics.js";
import { ResticCheckError } from "../restic/check.js";
import type { Repository } from "../restic/repository.js";
import { identityTags, KIND, targetKindOf } from "../restic/tags.js";
import type { Kind } from "../targets/kind.js";
import { storeText } from "../targets/store.js";

const TROUBLESHOOTING = "https://restic.readthedocs.io/en/stable/077_troubleshooting.html";

export interface CheckDeps {
  /** The repository checked. */
  repository: Repository;
  kinds: readonly Kind[];
  metrics: Pick<RepositoryMetrics, "checked">;
  /** "local" (the default) or "offsite": names the metric and the record. */
  name?: "local" | "offsite";
  /** Where the record goes (status reads the local repository); default the repository checked. */
  recordIn?: Repository;
}

/** Runs the check; returns the failure (never throws one), after recording the outcome. */
export async function checkAndRecord(deps: CheckDeps, subset: string | undefined, ctx: RunContext): Promise<Error | undefined> {
  const { failure, recorded } = await checkRepository(deps, subset, ctx);
  await recorded;
  return failure;
}

/**
 * Runs the check and returns its failure (never throws one) as soon as it ends; the outcome's record
 * is stored meanwhile (`recorded`, which never rejects), so work that needs no exclusive lock can go on.
 */
export async function checkRepository(
  deps: CheckDeps,
  subset: string | undefined,
  ctx: RunContext,
): Promise<{ failure: Error | undefined; recorded: Promise<void> }> {
  const name = deps.name ?? "local";
  const record: CheckRecord = { runId: ctx.runId, repository: name, finishedAt: "", subset, ok: true, damagedPacks: [], missingPacks: [], affected: [], advice: [] };
  let failure: Error | undefined;
  try {
    await deps.repository.check(subset, ctx.signal);
    ctx.log.info({ subset, repository: name }, name === "local" ? "repository check passed" : "offsite repository check passed");
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    failure = await describeFailure(deps, subset, error, record, ctx.signal);
    logFailure(ctx.log, "repository check failed", failure, { subset, damaged: record.damagedPacks, missing: record.missingPacks });
  }
  record.finishedAt = new Date().toISOString();
  deps.metrics.checked(record.ok, name);
  const tags = [...identityTags({ kind: KIND.check, target: checkTarget(name), run: ctx.runId }), `result=${record.ok ? "passed" : "failed"}`];
  const recorded = storeText(deps.recordIn ?? deps.repository, { parts: [KIND.check, "result.json"], tags, signal: ctx.signal }, `${JSON.stringify(record, null, 2)}\n`).then(
    () => undefined,
    (error: unknown) => logFailure(ctx.log, "the check result could not be stored in the repository (status will not see it)", error, {}, "warn"),
  );
  return { failure, recorded };
}

async function describeFailure(deps: CheckDeps, subset: string | undefined, error: unknown, record: CheckRecord, signal: AbortSignal): Promise<Error> {
  record.ok = false;
  const what = `${deps.name === "offsite" ? "offsite repository" : "repository"} ${deps.repository.display}: restic check${subset ? ` --read-data-subset=${subset}` : ""} failed`;
  if (!(error instanceof ResticCheckError)) {
    record.error = (error as Error).message;
    return new BackupError(what, { target: "repository", cause: error });
  }
  record.damagedPacks = error.damagedPacks;
  record.missingPacks = error.missingPacks;
  record.affected = await affectedTargets(deps, error.affectedSnapshots, signal);
  record.advice = error.advice.length ? error.advice : ["restic repair index", "restic repair snapshots --forget"];
  const packs = [...error.damagedPacks.map((p) => `damaged pack ${p}`), ...error.missingPacks.map((p) => `missing pack ${p}`)];
  const message = [
    `${what}: ${packs.join(", ")}`,
    record.affected.length ? `it holds data of ${record.affected.join("; ")}` : "no snapshot references it",
    `to repair: ${record.advice.join("; then ")} (see ${TROUBLESHOOTING}); the next backup stores the data again`,
  ].join("; ");
  record.error = message;
  return new BackupError(message, { target: "repository" });
}

/** "postgres target "db" (database app, snapshot 1a2b3c4d of 2026-05-01T03:00:00.000Z)" for each affected snapshot. */
async function affectedTargets(deps: CheckDeps, ids: readonly string[], signal: AbortSignal): Promise<string[]> {
  if (ids.length === 0) return [];
  const snapshots = await deps.repository.snapshots(signal).catch(() => []);
  return ids.map((id) => {
    const s = snapshots.find((x) => x.id === id);
    if (!s) return `snapshot ${id.slice(0, 8)}`;
    const kind = deps.kinds.find((k) => k.name === targetKindOf(s));
    const name = kind ? kind.describe(s.tags.target ?? "") : `${s.tags.kind ?? "?"} ${s.tags.target ?? "?"}`;
    const database = s.tags.database ? `database ${s.tags.database}, ` : "";
    return `${name} (${database}snapshot ${id.slice(0, 8)} of ${s.time.toISOString()})`;
  });
}
