// The weekly point-in-time-recovery drill of one target: recover, in a throwaway container of the
// source's image, to the newest archived point from the newest base backup and every WAL snapshot
// since; prove that recovery got there (the last transaction it replayed committed at or after the
// previous cut, whose marker transaction every cut commits) and not past it; then run the target's
// own SQL checks against the recovered server.
import { BackupError } from "../../../core/errors.js";
import type { Engine } from "../../../docker/engine.js";
import { ROLE_LABEL, type Sandbox, VERIFY_RUN_LABEL } from "../../../docker/sandbox.js";
import type { Snapshot } from "../../../restic/repository.js";
import type { KindRun, VerifyPart } from "../../kind.js";
import type { PostgresTarget } from "../discover.js";
import { query, runChecks } from "../sql.js";
import { recoverToTime } from "./recover.js";
import { baseSnapshots, planRecovery, walSnapshots } from "./window.js";

/** The verify part (and metric database label) of the drill. */
export const PITR_PART = "point-in-time";

export async function pitrDrill(
  deps: { engine: Pick<Engine, "execText" | "inspect">; sandbox: Pick<Sandbox, "createThrowaway" | "execWithStdin" | "remove"> },
  target: PostgresTarget,
  snapshots: readonly Snapshot[],
  run: KindRun,
): Promise<VerifyPart> {
  const part = (problem?: string): VerifyPart => ({ database: PITR_PART, what: "point-in-time recovery", ok: problem === undefined, problem });
  const wal = walSnapshots(snapshots, target.name);
  if (baseSnapshots(snapshots, target.name).length === 0) return part("no base backup yet (the basebackup job makes one)");
  const newest = wal.at(-1);
  if (!newest) return part("no WAL archived yet (the wal job archives it)");
  const at = newest.cutTime;
  try {
    const plan = await planRecovery(run.repository, snapshots, target.name, at, run.signal);
    const previous = wal.filter((w) => w.cutTime < at && w.cutTime > new Date(plan.facts.consistentAt)).at(-1)?.cutTime;
    const labels = { [VERIFY_RUN_LABEL]: run.runId, [ROLE_LABEL]: "verify", "backup-agent.verify.target": target.name };
    const started = performance.now();
    const box = await recoverToTime({ ...deps, repository: run.repository }, target, plan, { at, keep: false, labels, runId: run.runId, signal: run.signal, log: run.log });
    try {
      if (previous && (!box.lastCommit || new Date(box.lastCommit) < previous)) {
        return part(`recovery to ${at.toISOString()} stopped short: the last transaction it replayed committed at ${box.lastCommit ?? "(none)"}, before the previous cut at ${previous.toISOString()}`);
      }
      const psql = (sql: string, db: string) => query(deps.engine, target, sql, run.signal, db, box);
      const problems: string[] = [];
      for (const database of new Set(target.checks.map((c) => c.database))) problems.push(...(await runChecks(psql, target.checks, database)));
      run.log.info(
        { target: target.name, at: at.toISOString(), lastCommit: box.lastCommit, walSnapshots: plan.wal.length, seconds: Math.round(performance.now() - started) / 1000 },
        `point-in-time recovery of ${target.name} to ${at.toISOString()} reached it`,
      );
      return part(problems.length ? problems.join("; ") : undefined);
    } finally {
      await deps.sandbox.remove(box.id);
    }
  } catch (error) {
    if (run.signal.aborted) throw error;
    return part(error instanceof BackupError ? error.message : (error as Error).message);
  }
}
