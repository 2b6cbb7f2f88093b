// One PostgreSQL target: CHECKPOINT, globals, then pg_dump of each database streamed into restic, then
// a manifest of sizes, checksums and row counts beside the dumps. One database failing stops no other.
import { BackupError, logFailure } from "../../core/errors.js";
import { exitNote, lastLines } from "../../core/text.js";
import type { Engine } from "../../docker/engine.js";
import type { Sandbox } from "../../docker/sandbox.js";
import { KIND } from "../../restic/tags.js";
import type { BackupOutcome, KindRun } from "../kind.js";
import { type ManifestFile, manifestEntry, type RowCounts, writeManifest } from "../manifest.js";
import { storedItem, storeRunFile } from "../store.js";
import { runningContainer } from "../container.js";
import { type PostgresTarget, selectDatabases } from "./discover.js";
import { exportSnapshot, type SnapshotSession } from "./rowcounts.js";
import { clientEnv, listDatabases, query } from "./sql.js";

export interface PostgresBackupDeps {
  engine: Engine;
  /** When given, each dump's exact row counts are recorded in the manifest (same snapshot as pg_dump). */
  sandbox?: Pick<Sandbox, "openExec">;
}

export const describePostgresTarget = (name: string) => `postgres target "${name}"`;

interface Part {
  kind: string;
  database: string | undefined;
  file: string;
  cmd: string[];
  env: string[];
  session?: SnapshotSession;
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

  const files: ManifestFile[] = [];
  const dump = async (part: Part) => {
    let tables: RowCounts | undefined;
    const id = { folder: KIND.postgres, kind: part.kind, target: target.name, database: part.database, file: part.file };
    const file = await storeRunFile(run, id, async (sink, signal) => {
        const result = await deps.engine.exec(current.id, part.cmd, sink, { env: part.env, signal });
        if (result.exitCode !== 0) {
          throw new BackupError(`${part.cmd[0]} exited ${result.exitCode}${exitNote(result.exitCode)}: ${lastLines(result.stderr)}`, { exitCode: result.exitCode });
        }
        // Counted before EOF, in pg_dump's own snapshot: a failed count leaves no dump behind.
        if (part.session) tables = await part.session.count(signal);
    });
    outcome.stored.push(storedItem(part.kind, file, part.database));
    files.push(manifestEntry(part.kind, file, { database: part.database, ...(tables ? { tables } : {}) }));
  };
  const attempt = async (part: Part) => {
    try {
      await dump(part);
    } catch (error) {
      failed(part.kind, part.database, fail(part.database ?? "globals", error));
    }
  };

  if (target.globals) await attempt(await globalsPart(deps.engine, target, run));
  for (const database of selected) {
    if (run.signal.aborted) {
      failed(KIND.postgres, database, fail(`${database}: not backed up`, run.signal.reason));
      continue;
    }
    const part: Part = {
      kind: KIND.postgres,
      database,
      file: `${database}.dump`,
      cmd: ["pg_dump", "--format=custom", `--compress=${target.compress}`, "-w"],
      env: clientEnv(target, database),
    };
    if (deps.sandbox) {
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

  if (files.length > 0) {
    const manifest = { target: target.name, run: run.runId, image: current.image, files };
    await writeManifest(run.repository, { kind: KIND.postgres, target: target.name, run: run.runId }, manifest, run.signal).catch(
      (error: unknown) => failed(KIND.manifest, undefined, fail("storing the manifest", error)),
    );
  }
  return outcome;
}

/** pg_dumpall of roles and tablespaces; without role passwords when the role is not a superuser. */
async function globalsPart(engine: Engine, target: PostgresTarget, run: KindRun): Promise<Part> {
  const isSuper = (await query(engine, target, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user", run.signal))[0] === "t";
  if (!isSuper) run.log.warn({ target: target.name }, `role "${target.user}" is not a superuser: globals are dumped without role passwords`);
  const cmd = ["pg_dumpall", "--globals-only", "-w", `--database=${target.maintenanceDb}`];
  if (!isSuper) cmd.push("--no-role-passwords");
  return { kind: KIND.postgresGlobals, database: undefined, file: "globals.sql", cmd, env: clientEnv(target) };
}
