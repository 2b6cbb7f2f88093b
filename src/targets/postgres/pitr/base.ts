// A base backup of one point-in-time-recovery target: pg_basebackup in the database's own container,
// its tar on stdout streamed into one snapshot (EOF is the commit; nothing is stored when it fails),
// with the WAL needed to make it consistent inside it (-X fetch), so every base backup restores on
// its own; then a manifest records where its WAL starts and when it became consistent.
import { BackupError } from "../../../core/errors.js";
import { exitNote, lastLines } from "../../../core/text.js";
import type { Engine } from "../../../docker/engine.js";
import { KIND } from "../../../restic/tags.js";
import { runningContainer } from "../../container.js";
import type { BackupOutcome, KindRun } from "../../kind.js";
import { manifestEntry, writeManifest } from "../../manifest.js";
import { storedItem, storeRunFile } from "../../store.js";
import { describePostgresTarget } from "../backup.js";
import type { PostgresTarget } from "../discover.js";
import { clientEnv, query } from "../sql.js";
import { ensureSlot } from "./server.js";
import { EPOCH, epochIso } from "./wal.js";

/** What a base backup's manifest entry records beyond size and checksum. */
export interface BaseBackupFacts {
  /** wal_segment_size in bytes: how segment names count up. */
  segmentBytes: number;
  /** The WAL segment its replay starts in: every later segment, in the archive, takes it forward. */
  startSegment: string;
  /** Recovery can reach any time after this (server clock): the backup is consistent by then. */
  consistentAt: string;
  startedAt: string;
  major: number;
}

export async function baseBackup(engine: Engine, target: PostgresTarget, run: KindRun, opts: { maxRetained: string }): Promise<BackupOutcome> {
  const what = describePostgresTarget(target.name);
  const fail = (message: string, cause?: unknown) => new BackupError(`${what}: ${message}`, { target: target.name, cause });
  if (target.problems.length) throw fail(target.problems.join("; "));
  const current = await runningContainer(engine, target, what);
  const t = { ...target, container: current };
  // The slot first: the WAL from the backup's start on is held until the archive has it.
  await ensureSlot(engine, t, opts.maxRetained, run.signal, run.log);
  const [before] = await query(engine, t, `SELECT pg_walfile_name(pg_current_wal_insert_lsn()) || '|' || ${EPOCH} || '|' || current_setting('server_version_num') || '|' || (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size')`, run.signal);
  const [startSegment = "", startEpoch = "", version = "", segmentBytes = ""] = (before ?? "").split("|");
  const file = await storeRunFile(run, { folder: KIND.postgres, kind: KIND.postgresBase, target: target.name, file: "base.tar" }, async (sink, signal) => {
    const cmd = ["pg_basebackup", "-w", "-D", "-", "--format=tar", "--wal-method=fetch", "--checkpoint=fast"];
    const result = await engine.exec(current.id, cmd, sink, { env: clientEnv(t), signal });
    if (result.exitCode !== 0) throw new BackupError(`pg_basebackup exited ${result.exitCode}${exitNote(result.exitCode)}: ${lastLines(result.stderr)}`, { exitCode: result.exitCode });
  });
  const [after] = await query(engine, t, `SELECT ${EPOCH}`, run.signal);
  const facts: BaseBackupFacts = { startSegment, consistentAt: epochIso(after ?? ""), startedAt: epochIso(startEpoch), major: Math.floor(Number(version) / 10000), segmentBytes: Number(segmentBytes) };
  const outcome: BackupOutcome = { stored: [storedItem(KIND.postgresBase, file)], failed: [] };
  const manifest = { target: target.name, run: run.runId, image: current.image, files: [manifestEntry(KIND.postgresBase, file, { ...facts })] };
  await writeManifest(run.repository, { kind: KIND.postgresBase, target: target.name, run: run.runId }, manifest, run.signal).catch((error: unknown) =>
    outcome.failed.push({ kind: KIND.manifest, error: fail("storing the base backup's manifest", error) }),
  );
  run.log.info({ target: target.name, snapshot: file.snapshotId, bytes: file.size, added: file.dataAdded, ...facts }, `stored the base backup of ${target.name}`);
  return outcome;
}
