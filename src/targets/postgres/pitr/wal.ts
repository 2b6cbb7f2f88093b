// Continuous WAL archiving of one point-in-time-recovery target, one interval at a time: the WAL
// written so far is cut at an LSN (a tiny logical message makes pg_receivewal stop there at once),
// received through the replication slot into the data directory (it survives the agent, not the
// database's volume), and every segment not yet archived, with the growing .partial one, is streamed
// as one tar into one snapshot. Segments are removed only once their snapshot exists.
import { BackupError } from "../../../core/errors.js";
import { exitNote, lastLines } from "../../../core/text.js";
import type { Engine } from "../../../docker/engine.js";
import { identityTags, KIND } from "../../../restic/tags.js";
import { runningContainer } from "../../container.js";
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

/** What one interval archived. */
export interface WalArchived {
  /** Undefined when nothing was written since the last interval (no snapshot is made then). */
  snapshotId?: string;
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

/** The insert LSN after the last cut of each target, so that an idle server makes no snapshots. */
export type WalState = Map<string, string>;

export async function archiveWal(engine: Engine, target: PostgresTarget, run: KindRun, opts: { maxRetained: string; state: WalState }): Promise<WalArchived> {
  const what = describePostgresTarget(target.name);
  if (target.problems.length) throw new BackupError(`${what}: ${target.problems.join("; ")}`, { target: target.name });
  const current = await runningContainer(engine, target, what);
  const t = { ...target, container: current };
  const slot = await ensureSlot(engine, t, opts.maxRetained, run.signal, run.log);
  const [now] = await query(engine, t, `SELECT pg_current_wal_insert_lsn() || '|' || ${EPOCH}`, run.signal);
  const [insertLsn = "", nowTime = ""] = (now ?? "").split("|");
  if (opts.state.get(target.name) === insertLsn) {
    return { segments: [], cutTime: epochIso(nowTime), cutLsn: insertLsn, bytes: 0, added: 0, slotRetainedBytes: slot.retainedBytes };
  }
  // The cut. A transaction of its own (a transactional logical message) commits at the cut time, so
  // that recovery to any earlier time meets a commit after it and stops there (PostgreSQL refuses a
  // recovery that ends before a commit past its target). A second, untransactional message just past
  // the end position makes pg_receivewal stop at once instead of waiting for the next WAL record.
  const [marked] = await query(engine, t, `SELECT ${EPOCH} || '|' || pg_logical_emit_message(true, 'backup-agent', 'wal cut')`, run.signal);
  const cutTime = epochIso((marked ?? "").split("|")[0] ?? "");
  const [ended] = await query(engine, t, "SELECT pg_current_wal_insert_lsn() || '|' || pg_logical_emit_message(false, 'backup-agent', 'wal end') || '|' || pg_current_wal_insert_lsn()", run.signal);
  const [cutLsn = "", , after = ""] = (ended ?? "").split("|");
  const owner = await dataOwner(engine, t, run.signal);
  const dir = walDir(t);
  const sh = async (cmd: string[], why: string, env: string[] = []) => {
    const result = await engine.execText(current.id, cmd, { user: owner, env, signal: run.signal });
    if (result.exitCode !== 0) throw new BackupError(`${what}: ${why}: ${cmd[0]} exited ${result.exitCode}${exitNote(result.exitCode)}: ${lastLines(result.stderr)}`, { target: target.name });
    return result.stdout;
  };
  await sh(["mkdir", "-p", dir], `cannot make ${dir}`);
  // Credentials in the exec's env, never on argv.
  await sh(["pg_receivewal", "-w", "-D", dir, `--slot=${SLOT}`, `--endpos=${cutLsn}`, "--no-loop", "--synchronous"], "receiving WAL", clientEnv(t));
  const names = (await sh(["ls", "-1", dir], `cannot list ${dir}`)).split("\n").filter(Boolean);
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
  opts.state.set(target.name, after);
  return { snapshotId: stored.snapshotId, segments, cutTime, cutLsn, bytes: stored.size, added: stored.dataAdded, slotRetainedBytes: slot.retainedBytes };
}
