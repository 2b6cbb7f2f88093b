// One PostgreSQL target: CHECKPOINT, globals, then pg_dump of each database streamed into restic, then
// a manifest of sizes, checksums and row counts beside the dumps. One database failing stops no other.
// Each file's restic is started ahead of its data (the globals' at once, each database's and then the
// manifest's while the one before it streams), so restic's fixed start-up cost (key derivation, lock,
// index) overlaps the work before it instead of adding up.
import { BackupError, logFailure } from "../../core/errors.js";
import { exitNote, lastLines } from "../../core/text.js";
import type { Engine } from "../../docker/engine.js";
import type { Sandbox } from "../../docker/sandbox.js";
import { KIND } from "../../restic/tags.js";
import type { BackupOutcome, KindRun } from "../kind.js";
import { type ManifestFile, manifestEntry, openManifest, type RowCounts, storeManifest } from "../manifest.js";
import { type OpenedUpload, openRunFile, storedItem } from "../store.js";
import { runningContainer } from "../container.js";
import { type PostgresTarget, selectDatabases } from "./discover.js";
import { DumpRowCounter } from "./dump-rows.js";
import { exportSnapshot, type SnapshotSession } from "./rowcounts.js";
import { clientEnv, listDatabases, query } from "./sql.js";

export interface PostgresBackupDeps {
  engine: Engine;
  /** Needed for row counts by query (the row-counts label): a psql session that exports pg_dump's snapshot. */
  sandbox?: Pick<Sandbox, "openExec">;
}

export const describePostgresTarget = (name: string) => `postgres target "${name}"`;

interface Part {
  kind: string;
  database: string | undefined;
  cmd: string[];
  env: string[];
  upload: OpenedUpload;
  session?: SnapshotSession;
  counter?: DumpRowCounter;
}

export async function backupPostgres(target: PostgresTarget, deps: PostgresBackupDeps, run: KindRun): Promise<BackupOutcome> {
  const what = describePostgresTarget(target.name);
  const fail = (message: string, cause?: unknown) => new BackupError(`${what}: ${message}`, { target: target.name, cause });
  if (target.problems.length) throw fail(target.problems.join("; "));
  const current = await runningContainer(deps.engine, target, what);
  const log = run.log.child({ target: target.name });
  const outcome: BackupOutcome = { stored: [], failed: [] };
  const failed = (kind: string, database: string | undefined, error: Error) => {
    outcome.failed.push({ kind, database, error });
    logFailure(log, `backup of ${database ?? "globals"} failed`, error, { database });
  };
  const open = (kind: string, database: string | undefined, file: string) =>
    openRunFile(run, { folder: KIND.postgres, kind, target: target.name, database, file });

  // Every upload opened here is used or cancelled in the finally below. At most three restic
  // processes at a time: the globals', the database streaming, and the next file's (the next
  // database's, or the manifest's once the last database streams).
  const opened: OpenedUpload[] = [];
  const ahead = <T extends OpenedUpload>(upload: T) => (opened.push(upload), upload);
  let manifestUpload: OpenedUpload | undefined;
  const openManifestAhead = () =>
    (manifestUpload ??= ahead(openManifest(run.repository, { kind: KIND.postgres, target: target.name, run: run.runId }, run.signal)));
  const globalsUpload = target.globals ? ahead(open(KIND.postgresGlobals, undefined, "globals.sql")) : undefined;
  const files: ManifestFile[] = [];
  try {
    try {
      await query(deps.engine, target, "CHECKPOINT", run.signal);
      log.info("CHECKPOINT done");
    } catch (error) {
      const advice = /pg_checkpoint|must be superuser/.test((error as Error).message)
        ? `role "${target.user}" may not run CHECKPOINT: GRANT pg_checkpoint TO "${target.user}" (PostgreSQL 15+), or back up as a superuser`
        : "CHECKPOINT failed";
      failed(KIND.postgres, undefined, fail(advice, error));
    }
    const { selected, problems } = selectDatabases(target, await listDatabases(deps.engine, target, run.signal));
    for (const problem of problems) failed(KIND.postgres, undefined, fail(problem));

    const attempt = async (part: Part) => {
      try {
        const stored = await dump(deps.engine, current.id, part);
        outcome.stored.push(storedItem(part.kind, stored.file, part.database));
        files.push(manifestEntry(part.kind, stored.file, { database: part.database, ...recordedCounts(part, stored.tables, log) }));
      } catch (error) {
        failed(part.kind, part.database, fail(part.database ?? "globals", error));
      }
    };
    // The globals are small: they stream beside the first database.
    const globals = globalsUpload && globalsPart(deps.engine, target, globalsUpload, run).then(attempt, (error: unknown) => {
      failed(KIND.postgresGlobals, undefined, fail("globals", error));
    });

    const uploads = selected.map((database, i) => (i === 0 ? ahead(open(KIND.postgres, database, `${database}.dump`)) : undefined));
    if (selected.length === 0) openManifestAhead();
    for (const [i, database] of selected.entries()) {
      if (run.signal.aborted) {
        failed(KIND.postgres, database, fail(`${database}: not backed up`, run.signal.reason));
        continue;
      }
      const next = selected[i + 1];
      if (next !== undefined) uploads[i + 1] = ahead(open(KIND.postgres, next, `${next}.dump`));
      else openManifestAhead();
      const part: Part = {
        kind: KIND.postgres,
        database,
        cmd: ["pg_dump", "--format=custom", `--compress=${target.compress}`, "-w"],
        env: clientEnv(target, database),
        upload: uploads[i] as OpenedUpload,
      };
      if (target.rowCounts === "dump") part.counter = new DumpRowCounter();
      if (target.rowCounts === "query" && deps.sandbox) {
        try {
          part.session = await exportSnapshot(deps.sandbox, target, database, run.signal);
          part.cmd.push(`--snapshot=${part.session.snapshotId}`);
        } catch (error) {
          failed(KIND.postgres, database, fail(database, error));
          continue;
        }
      }
      try {
        await attempt(part);
      } finally {
        await part.session?.close().catch((error: unknown) => {
          if (!run.signal.aborted) logFailure(log, "closing the snapshot session failed", error, { database }, "warn");
        });
      }
    }
    await globals;

    if (files.length > 0) {
      // Globals first, then the databases in the order they were dumped, whichever finished first.
      const ordered = [...files.filter((f) => f.kind === KIND.postgresGlobals), ...files.filter((f) => f.kind !== KIND.postgresGlobals)];
      const manifest = { target: target.name, run: run.runId, image: current.image, files: ordered };
      await storeManifest(openManifestAhead(), manifest).catch((error: unknown) => failed(KIND.manifest, undefined, fail("storing the manifest", error)));
    }
  } finally {
    await Promise.all(opened.map((upload) => upload.cancel()));
  }
  return outcome;
}

/** Streams one part into its upload; rejects, storing nothing, unless the command exits 0. */
async function dump(engine: Engine, containerId: string, part: Part) {
  let tables: RowCounts | undefined;
  const file = await part.upload.store(async (sink, signal) => {
    const counter = part.counter;
    if (counter) sink.on("data", (chunk: Buffer) => counter.write(chunk));
    const result = await engine.exec(containerId, part.cmd, sink, { env: part.env, signal });
    if (result.exitCode !== 0) {
      throw new BackupError(`${part.cmd[0]} exited ${result.exitCode}${exitNote(result.exitCode)}: ${lastLines(result.stderr)}`, { exitCode: result.exitCode });
    }
    // Counted before EOF, in pg_dump's own snapshot: a failed count leaves no dump behind.
    if (part.session) tables = await part.session.count(signal);
  });
  return { file, tables };
}

/** What the manifest records of a dump's rows, and how they were counted. */
function recordedCounts(part: Part, queried: RowCounts | undefined, log: KindRun["log"]): Partial<ManifestFile> {
  if (queried) return { tables: queried };
  if (!part.counter) return {};
  const counted = part.counter.result();
  if ("tables" in counted) return { tables: counted.tables, rowCounts: "dump" };
  log.warn({ database: part.database, why: counted.unavailable }, `no row counts recorded for ${part.database}: ${counted.unavailable}`);
  return {};
}

/** pg_dumpall of roles and tablespaces; without role passwords when the role is not a superuser. */
async function globalsPart(engine: Engine, target: PostgresTarget, upload: OpenedUpload, run: KindRun): Promise<Part> {
  const isSuper = (await query(engine, target, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user", run.signal))[0] === "t";
  if (!isSuper) run.log.warn({ target: target.name }, `role "${target.user}" is not a superuser: globals are dumped without role passwords`);
  const cmd = ["pg_dumpall", "--globals-only", "-w", `--database=${target.maintenanceDb}`];
  if (!isSuper) cmd.push("--no-role-passwords");
  return { kind: KIND.postgresGlobals, database: undefined, cmd, env: clientEnv(target), upload };
}
