// Restore of a PostgreSQL target into its running container: the dump's checksum is proven before
// anything is touched; pg_restore then runs --clean --if-exists in one transaction, so a failed
// restore changes nothing.
import { Readable, Transform } from "node:stream";
import { BackupError, UsageError } from "../../core/errors.js";
import { lastLines } from "../../core/text.js";
import type { ContainerControl, Engine } from "../../docker/engine.js";
import type { Sandbox } from "../../docker/sandbox.js";
import type { Progress } from "../../restic/progress.js";
import type { Snapshot } from "../../restic/repository.js";
import { findSnapshot, isRecordedSnapshot } from "../../restic/select.js";
import { KIND } from "../../restic/tags.js";
import { checksumProblem, proveRecorded, readChecked } from "../checked-stream.js";
import { NoBackupError, type RestorePlan, type RestoreRequest, type RestoreRun } from "../kind.js";
import { type ManifestFile, readManifest } from "../manifest.js";
import type { PostgresTarget } from "./discover.js";
import { applyPitrRestore, hasBaseBackups, isPitrDetail, planPitrRestore } from "./pitr/restore.js";
import { clientEnv, listDatabases, query } from "./sql.js";

export interface PostgresRestoreDeps {
  engine: Engine & ContainerControl;
  walMaxRetained: string;
  sandbox: Pick<Sandbox, "execWithStdin" | "createThrowaway" | "remove">;
}

interface Detail {
  target: PostgresTarget;
  files: ManifestFile[];
  /** The run's roles and tablespaces (pg_dumpall --globals-only), replayed first: a fresh server has none. */
  globals: ManifestFile | undefined;
  snapshots: readonly Snapshot[];
}

/** The files to restore: of --snapshot (a run's manifest or one dump), of the newest at or before --at, or of the newest. */
async function pickFiles(request: RestoreRequest, snapshots: readonly Snapshot[], run: RestoreRun) {
  const name = request.name;
  const manifestOf = (q: { at?: Date; run?: string }) =>
    readManifest(run.repository, snapshots, { kind: KIND.postgres, target: name, ...q }, run.signal);
  if (request.snapshot) {
    const s = findSnapshot(snapshots, request.snapshot);
    if (!s || s.tags.target !== name) {
      throw new UsageError(`restore: no snapshot "${request.snapshot}" of target "${name}" (see backup-agent snapshots --target ${name})`);
    }
    if (s.tags.kind === KIND.postgres) {
      // A single dump: its recorded checksum comes from the manifest of the same run.
      const found = await manifestOf({ run: s.tags.run });
      const file = found?.manifest.files.find((f) => isRecordedSnapshot(s, f.snapshot));
      if (!file) throw new BackupError(`restore: snapshot ${s.id.slice(0, 8)} has no manifest entry to check it against`);
      return { files: [file], label: `snapshot ${s.id.slice(0, 8)} of ${s.time.toISOString()}`, time: s.time };
    }
    if (s.tags.kind !== KIND.manifest) throw new UsageError(`restore: snapshot ${s.id.slice(0, 8)} is a ${s.tags.kind} snapshot, not a database backup`);
    const found = await manifestOf({ run: s.tags.run });
    return { files: found?.manifest.files ?? [], label: `run ${s.tags.run} (${s.time.toISOString()})`, time: s.time };
  }
  const found = await manifestOf({ at: request.at });
  if (!found) throw new NoBackupError(`restore: no backup of "${name}"${request.at ? ` at or before ${request.at.toISOString()}` : ""}`, { target: name });
  return { files: found.manifest.files, label: `run ${found.manifest.run} (${found.snapshot.time.toISOString()})`, time: found.snapshot.time };
}

export async function planPostgresRestore(
  request: RestoreRequest,
  target: PostgresTarget | undefined,
  snapshots: readonly Snapshot[],
  run: RestoreRun,
): Promise<RestorePlan> {
  if (request.to) throw new UsageError("restore postgres: --to is for volumes; a database restores into its running container");
  if (request.toContainer || (request.pointInTime && !request.snapshot && !request.database && hasBaseBackups(snapshots, request.name))) {
    return planPitrRestore(request, target, snapshots, run);
  }
  if (!target) throw new BackupError(`restore: no running container is labelled as postgres target "${request.name}"`, { target: request.name });
  const picked = await pickFiles(request, snapshots, run);
  const files = picked.files.filter((f) => f.kind === KIND.postgres && (!request.database || f.database === request.database));
  if (files.length === 0) {
    throw new BackupError(`restore: backup ${picked.label} of "${request.name}" holds no database${request.database ? ` "${request.database}"` : ""}`);
  }
  if (!target.container.running) throw new BackupError(`restore: container ${target.container.name} is not running`, { target: target.name });
  const globals = picked.files.find((f) => f.kind === KIND.postgresGlobals);
  const lines = [
    `Restore into container ${target.container.name} (target "${target.name}") from ${picked.label}:`,
    ...(globals ? [`  roles and tablespaces  ${globals.size} bytes  snapshot ${globals.snapshot.slice(0, 8)} (the roles the server lacks are created)`] : []),
    ...files.map((f) => `  ${f.database}  ${f.size} bytes  snapshot ${f.snapshot.slice(0, 8)}`),
    "Objects in these databases that the backup also holds are dropped and recreated (pg_restore --clean --if-exists); a database the server lacks is created as it was (pg_restore --create).",
  ];
  const detail: Detail = { target, files, globals, snapshots };
  return { kind: KIND.postgres, name: target.name, label: picked.label, time: picked.time, lines, live: true, detail };
}

/** Restores each plan's dumps into its running container, checksum first; throws on the first failure. */
export async function applyPostgresRestore(deps: PostgresRestoreDeps, plans: readonly RestorePlan[], run: RestoreRun): Promise<void> {
  for (const plan of plans) {
    if (isPitrDetail(plan.detail)) {
      await applyPitrRestore(deps, plan.detail, run);
      continue;
    }
    const { target, files, globals, snapshots } = plan.detail as Detail;
    if (globals) await replayGlobals(deps, target, globals, snapshots, run);
    const existing = await listDatabases(deps.engine, target, run.signal);
    for (const file of files) {
      const database = file.database as string;
      // Prove the bytes first: a dump that does not match its recorded checksum never touches live data.
      const mismatch = await proveRecorded(run.repository, snapshots, file, run.signal);
      if (mismatch) throw new BackupError(`restore of "${database}": the stored dump is not the one recorded (${mismatch}); nothing was restored`);
      const fresh = !existing.includes(database);
      // A database the server lacks comes back as it was (owner, encoding, settings): --create from the
      // archive's own entry. One that exists is replaced object by object, in one transaction.
      const cmd = fresh
        ? ["pg_restore", "--create", "--exit-on-error", "-w", "-d", target.maintenanceDb]
        : ["pg_restore", "--clean", "--if-exists", "--single-transaction", "--exit-on-error", "-w", "-d", database];
      const progress = run.progress(database);
      let failure: string | undefined;
      await readChecked(run.repository, snapshots, file, run.signal, async (input) => {
        const source = progress ? input.pipe(countingTap(file.size, progress)) : input;
        const env = clientEnv(target, fresh ? target.maintenanceDb : database);
        const result = await deps.sandbox.execWithStdin(target.container.id, cmd, source, { env, signal: run.signal });
        if (result.exitCode !== 0) failure = `pg_restore exited ${result.exitCode}: ${lastLines(result.stderr)}`;
      });
      if (failure) throw new BackupError(`restore of "${database}" into ${target.container.name} failed${fresh ? "" : " (rolled back)"}: ${failure}`);
      run.say(`restored ${database} (${file.size} bytes)`);
    }
  }
}

/**
 * Replays the run's roles and tablespaces for what the server lacks: missing roles are created with
 * their backed-up attributes; roles that exist are left as they are (a live application's password
 * is never set back). Memberships and tablespaces are replayed; "already exists" is expected.
 */
async function replayGlobals(deps: PostgresRestoreDeps, target: PostgresTarget, file: ManifestFile, snapshots: readonly Snapshot[], run: RestoreRun) {
  const chunks: Buffer[] = [];
  const checked = await readChecked(run.repository, snapshots, file, run.signal, async (input) => {
    for await (const chunk of input) chunks.push(chunk as Buffer);
  });
  const mismatch = checksumProblem(file, checked);
  if (mismatch) throw new BackupError(`restore of the roles: the stored globals are not the ones recorded (${mismatch}); nothing was restored`);
  const existing = new Set(await query(deps.engine, target, "SELECT quote_ident(rolname) FROM pg_roles", run.signal));
  const sql = withoutExistingRoles(Buffer.concat(chunks).toString(), existing);
  const cmd = ["psql", "-X", "-q", "-w", "-v", "ON_ERROR_STOP=0", "-d", target.maintenanceDb, "-f", "-"];
  const { stderr } = await deps.sandbox.execWithStdin(target.container.id, cmd, Readable.from([sql]), { env: clientEnv(target), signal: run.signal });
  const errors = stderr.split("\n").filter((l) => /ERROR:/.test(l) && !/already exists/.test(l));
  if (errors.length) throw new BackupError(`restore of the roles into ${target.container.name} failed: ${errors.slice(0, 3).join(" | ")}`);
  run.say(`restored roles and tablespaces (${file.size} bytes)`);
}

/** pg_dumpall's globals without the CREATE ROLE and ALTER ROLE lines of roles that exist. */
export function withoutExistingRoles(sql: string, existing: ReadonlySet<string>): string {
  return sql
    .split("\n")
    .filter((line) => {
      const role = /^(?:CREATE|ALTER) ROLE ("(?:[^"]|"")+"|[^\s;]+)/.exec(line)?.[1];
      return role === undefined || !existing.has(role);
    })
    .join("\n");
}

/** A pass-through that reports how much of `total` went by (only on a TTY: it adds a stream hop). */
function countingTap(total: number, update: (p: Progress) => void): Transform {
  let done = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      update({ fraction: total ? done / total : 1, bytesDone: done, totalBytes: total });
      callback(null, chunk);
    },
  });
}
