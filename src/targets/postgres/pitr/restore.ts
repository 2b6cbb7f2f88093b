// `restore postgres <service> --at TIME --to-container NAME` on a point-in-time-recovery target: the
// plan names the base backup, the WAL it replays and the window; applying it recovers to exactly that
// time in a new container of the source's image, left running for the operator (no network: reach
// it with docker exec). The live database is not touched.
import { BackupError, UsageError } from "../../../core/errors.js";
import type { Snapshot } from "../../../restic/repository.js";
import { KIND } from "../../../restic/tags.js";
import type { RestorePlan, RestoreRequest, RestoreRun } from "../../kind.js";
import type { PostgresTarget } from "../discover.js";
import { recoverToTime } from "./recover.js";
import { type SwapDeps, swapIntoLive } from "./swap.js";
import { describeWindow, planRecovery, type RecoveryPlan, walSnapshots, baseSnapshots } from "./window.js";

export interface PitrDetail {
  /** `container`: into a new container of that name; undefined: into the live target. */
  pitr: { target: PostgresTarget; recovery: RecoveryPlan; at: Date; container: string | undefined };
}

/** Whether the target has a base backup (its restores to a time are recoveries from the WAL archive). */
export const hasBaseBackups = (snapshots: readonly Snapshot[], name: string) => baseSnapshots(snapshots, name).length > 0;

export const isPitrDetail = (detail: unknown): detail is PitrDetail => typeof detail === "object" && detail !== null && "pitr" in detail;

export async function planPitrRestore(request: RestoreRequest, target: PostgresTarget | undefined, snapshots: readonly Snapshot[], run: RestoreRun): Promise<RestorePlan> {
  if (!target) throw new BackupError(`restore: no container is labelled as postgres target "${request.name}"`, { target: request.name });
  if (request.snapshot || request.database) throw new UsageError("restore postgres --to-container: recovers the whole server to a time (--at); --snapshot and --database are for dumps");
  const wal = walSnapshots(snapshots, target.name);
  const bases = baseSnapshots(snapshots, target.name);
  if (bases.length === 0) {
    throw new BackupError(`restore: "${target.name}" has no base backup${target.pitr ? " yet (run the basebackup job)" : ": label it backup-agent.postgres.pitr=true for point-in-time recovery"}`, { target: target.name });
  }
  const at = request.at ?? wal.at(-1)?.cutTime;
  if (!at) throw new BackupError(`restore: no WAL of "${target.name}" is archived: ${describeWindow(bases, wal)}`, { target: target.name });
  const recovery = await planRecovery(run.repository, snapshots, target.name, at, run.signal);
  const into = request.toContainer ? `into a new container ${request.toContainer} of ${target.container.image}` : `into the live container ${target.container.name}`;
  const lines = [
    `Recover "${target.name}" to ${at.toISOString()}${request.at ? "" : " (the newest archived WAL)"} ${into}, from the WAL archive:`,
    `  base backup  snapshot ${recovery.base.id.slice(0, 8)} of ${recovery.base.time.toISOString()} (consistent at ${recovery.facts.consistentAt})`,
    `  WAL          ${recovery.wal.length} snapshot(s), up to the cut of ${recovery.wal.at(-1)?.cutTime.toISOString()}`,
    `  window       ${describeWindow(bases, wal)}`,
    request.toContainer
      ? `The live database in ${target.container.name} is not touched.`
      : `${target.container.name} is stopped, its data directory replaced by the recovered one (once recovery has succeeded in a throwaway container), and started again; everything it committed after that time is gone from it (it stays in the archive). A new base backup follows.`,
  ];
  const detail: PitrDetail = { pitr: { target, recovery, at, container: request.toContainer } };
  return { kind: KIND.postgres, name: target.name, label: `recovery to ${at.toISOString()}`, time: at, lines, live: !request.toContainer, detail };
}

export async function applyPitrRestore(deps: SwapDeps, detail: PitrDetail, run: RestoreRun): Promise<void> {
  const { target, recovery, at, container } = detail.pitr;
  if (!container) return swapIntoLive(deps, target, recovery, at, run);
  const done = await recoverToTime({ ...deps, repository: run.repository }, target, recovery, { at, name: container, keep: true, runId: run.runId, signal: run.signal, log: run.log });
  run.say(`recovered ${target.name} to ${at.toISOString()} in container ${done.name}${done.lastCommit ? ` (the last transaction replayed committed at ${done.lastCommit})` : ""}`);
  run.say(`  inspect it: docker exec -it ${done.name} psql -U ${target.user} -d ${target.maintenanceDb}    remove it: docker rm -f ${done.name}`);
}
