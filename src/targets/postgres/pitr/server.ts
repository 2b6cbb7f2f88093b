// What point-in-time recovery needs of a PostgreSQL server, through execs in its own container: the
// data directory's owner (every file the agent writes there is the server's), the replication slot
// that holds WAL until it is archived, and the guard that bounds what the slot may hold.
import { BackupError } from "../../../core/errors.js";
import { lastLines } from "../../../core/text.js";
import type { Engine } from "../../../docker/engine.js";
import type { PostgresTarget } from "../discover.js";
import { query } from "../sql.js";

/** The physical replication slot the agent archives WAL through. */
export const SLOT = "backup_agent";

/** Where pg_receivewal writes inside the data directory (it lives and dies with the database's volume). */
export const walDir = (target: Pick<PostgresTarget, "dataDir">) => `${target.dataDir}/backup-agent-wal`;

/** `uid:gid` of the data directory: execs that write there run as the server's own user. */
export async function dataOwner(engine: Engine, target: PostgresTarget, signal: AbortSignal): Promise<string> {
  const result = await engine.execText(target.container.id, ["stat", "-c", "%u:%g", target.dataDir], { signal });
  const owner = result.stdout.trim();
  if (result.exitCode !== 0 || !/^\d+:\d+$/.test(owner)) {
    throw new BackupError(`cannot tell who owns the data directory ${target.dataDir} in ${target.container.name}: ${lastLines(result.stderr) || owner}`, { target: target.name });
  }
  return owner;
}

export interface SlotState {
  /** The slot was made now (archiving starts here: nothing before it can be recovered). */
  created: boolean;
  /** Bytes of WAL the slot holds back on the server (pg_current_wal_lsn() - restart_lsn). */
  retainedBytes: number;
}

/**
 * Makes sure the slot exists and reserves WAL, and that max_slot_wal_keep_size bounds it (set with
 * ALTER SYSTEM to `maxRetained` when the server leaves it unlimited, the default). A slot the server
 * invalidated (it held more than the bound) is a gap in the archive: it is made again, and the gap is
 * reported as an error naming what was lost.
 */
export async function ensureSlot(engine: Engine, target: PostgresTarget, maxRetained: string, signal: AbortSignal, log: { warn: (o: object, m: string) => void; info: (o: object, m: string) => void }): Promise<SlotState> {
  const q = (sql: string) => query(engine, target, sql, signal);
  // One query for the slot and the guard's setting: this runs every minute.
  const [row = ""] = await q(
    `SELECT current_setting('max_slot_wal_keep_size') || '|' || coalesce((SELECT coalesce(wal_status, 'unreserved') || '|' || coalesce((pg_current_wal_lsn() - restart_lsn)::bigint, 0) FROM pg_replication_slots WHERE slot_name = '${SLOT}'), '')`,
  );
  const [setting, status, retained] = row.split("|");
  const unguarded = setting === "-1";
  let lost: string | undefined;
  if (status) {
    if (status !== "lost") {
      if (unguarded) await guard(q, target, maxRetained, log);
      return { created: false, retainedBytes: Number(retained) };
    }
    lost = `replication slot ${SLOT} of ${target.container.name} was invalidated (it held more WAL than max_slot_wal_keep_size allows): WAL from there to now is not archived, and no time in that gap can be recovered`;
    await q(`SELECT pg_drop_replication_slot('${SLOT}')`);
  }
  await q(`SELECT pg_create_physical_replication_slot('${SLOT}', true)`);
  log.info({ target: target.name, slot: SLOT }, `created replication slot ${SLOT} in ${target.container.name}: WAL is held for the agent from now on`);
  if (unguarded) await guard(q, target, maxRetained, log);
  if (lost) throw new BackupError(lost, { target: target.name });
  return { created: true, retainedBytes: 0 };
}

/** Sets max_slot_wal_keep_size, which the server leaves unlimited. */
async function guard(q: (sql: string) => Promise<string[]>, target: PostgresTarget, maxRetained: string, log: { warn: (o: object, m: string) => void }) {
  try {
    await q(`ALTER SYSTEM SET max_slot_wal_keep_size = '${maxRetained}'`);
    await q("SELECT pg_reload_conf()");
    log.warn({ target: target.name, max_slot_wal_keep_size: maxRetained }, `set max_slot_wal_keep_size = '${maxRetained}' on ${target.container.name} (ALTER SYSTEM): an agent that is gone for long can no longer fill the database's disk`);
  } catch (error) {
    throw new BackupError(`${target.container.name}: max_slot_wal_keep_size is unlimited and could not be set (ALTER SYSTEM needs a superuser): an agent gone for long would fill the database's disk with WAL`, { target: target.name, cause: error });
  }
}
