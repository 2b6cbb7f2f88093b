// Continuous WAL archiving of one point-in-time-recovery target, one interval at a time: the WAL
// written so far is cut at an LSN (a tiny logical message makes pg_receivewal stop there at once),
// received through the replication slot into the data directory (it survives the agent, not the
// database's volume), and every segment not yet archived, with the growing .partial one, is streamed
// as one tar into one snapshot. Segments are removed only once their snapshot exists.
import { BackupError } from "../../../core/errors.js";
import { exitNote, lastLines } from "../../../core/text.js";
import type { Engine } from "../../../docker/engine.js";
import { identityTags, KIND } from "../../../restic/tags.js";
import { checkedExec, runningContainer } from "../../container.js";
import type { KindRun } from "../../kind.js";
import { storeStream } from "../../store.js";
import { describePostgresTarget } from "../backup.js";
import type { PostgresTarget } from "../discover.js";
import { clientEnv, query } from "../sql.js";
import { dataOwner, ensureSlot, SLOT, walDir } from "./server.js";

const SEGMENT = /^[0-9A-F]{24}$/;
const PARTIAL = /^[0-9A-F]{24}\.partial$/;
const HISTORY = /^[0-9A-F]{8}\.history$/;

/** The server's clock as seconds since the epoch (microseconds), whatever its TimeZone and DateStyle. */
export const EPOCH = "extract(epoch FROM clock_timestamp())";
/** `1796176679.781234` → an ISO 8601 time (milliseconds). */
export const epochIso = (seconds: string) => new Date(Math.floor(Number(seconds) * 1000)).toISOString();

/**
 * What one interval archived. Every interval makes a snapshot, even on an idle server: the cut's own
 * marker is WAL, and the server logs a running-transactions record within 15 s of it, so "nothing
 * written since" never holds a minute later (tried on PostgreSQL 17). The newest snapshot's cut time
 * is what status and the metrics show as the recovery point.
 */
export interface WalArchived {
  snapshotId: string;
  /** The complete segments archived (the .partial one is archived every time, growing). */
  segments: string[];
  /** Everything committed before this time (the server's clock) is archived. */
  cutTime: string;
  cutLsn: string;
  bytes: number;
  added: number;
  /** Bytes of WAL the slot holds back on the server. */
  slotRetainedBytes: number;
}

export async function archiveWal(engine: Engine, target: PostgresTarget, run: KindRun, opts: { maxRetained: string }): Promise<WalArchived> {
  const what = describePostgresTarget(target.name);
  if (target.problems.length) throw new BackupError(`${what}: ${target.problems.join("; ")}`, { target: target.name });
  const current = await runningContainer(engine, target, what);
  const t = { ...target, container: current };
  const slot = await ensureSlot(engine, t, opts.maxRetained, run.signal, run.log);
  // The cut. A transaction of its own (a transactional logical message) commits at the cut time, so
  // that recovery to any earlier time meets a commit after it and stops there (PostgreSQL refuses a
  // recovery that ends before a commit past its target). A second, untransactional message just past
  // the end position makes pg_receivewal stop at once instead of waiting for the next WAL record.
  const [marked] = await query(engine, t, `SELECT ${EPOCH} || '|' || pg_logical_emit_message(true, 'backup-agent', 'wal cut')`, run.signal);
  const cutTime = epochIso((marked ?? "").split("|")[0] ?? "");
  const [ended] = await query(engine, t, "SELECT pg_current_wal_insert_lsn() || '|' || pg_logical_emit_message(false, 'backup-agent', 'wal end')", run.signal);
  const [cutLsn = ""] = (ended ?? "").split("|");
  const owner = await dataOwner(engine, t, run.signal);
  const dir = walDir(t);
  const sh = (cmd: string[], doing: string, env: string[] = []) =>
    checkedExec(engine, current.id, cmd, { user: owner, env, signal: run.signal }, { what, doing, target: target.name });
  // Credentials in the exec's env, never on argv.
  const receive = `mkdir -p "$1" && exec pg_receivewal -w -D "$1" --slot="$2" --endpos="$3" --no-loop --synchronous`;
  await sh(["sh", "-c", receive, "sh", dir, SLOT, cutLsn], "receiving WAL", clientEnv(t));
  const names = (await sh(["ls", "-1", dir], `listing ${dir}`)).split("\n").filter(Boolean);
  const segments = names.filter((n) => SEGMENT.test(n)).sort();
  const ship = [...names.filter((n) => HISTORY.test(n)).sort(), ...segments, ...names.filter((n) => PARTIAL.test(n)).sort().slice(-1)];
  const tags = [
    ...identityTags({ kind: KIND.postgresWal, target: target.name, run: run.runId }),
    `wal-cut=${cutLsn}`,
    `wal-time=${cutTime}`,
    `slot-retained=${slot.retainedBytes}`,
    ...(segments.length ? [`wal-first=${segments[0]}`, `wal-last=${segments.at(-1)}`] : []),
  ];
  const stored = await storeStream(run.repository, { parts: [KIND.postgres, target.name, "wal.tar"], tags, signal: run.signal }, async (sink, signal) => {
    const result = await engine.exec(current.id, ["tar", "-c", "-C", dir, "--", ...ship], sink, { user: owner, signal });
    if (result.exitCode !== 0) throw new BackupError(`tar of ${dir} exited ${result.exitCode}${exitNote(result.exitCode)}: ${lastLines(result.stderr)}`, { exitCode: result.exitCode });
  });
  if (segments.length) await sh(["rm", "-f", "--", ...segments.map((s) => `${dir}/${s}`)], "removing archived segments");
  return { snapshotId: stored.snapshotId, segments, cutTime, cutLsn, bytes: stored.size, added: stored.dataAdded, slotRetainedBytes: slot.retainedBytes };
}
