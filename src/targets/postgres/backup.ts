// One PostgreSQL target: CHECKPOINT, globals, then pg_dump of each database streamed into restic,
// then a manifest of sizes and checksums beside the dumps. One database failing does not stop the rest.
import type { Logger } from "pino";
import { AggregateBackupError, BackupError } from "../../core/errors.js";
import type { Engine } from "../../docker/engine.js";
import type { Sandbox } from "../../docker/sandbox.js";
import type { TargetMetrics } from "../../report/target-metrics.js";
import type { ResticRepository } from "../../restic/repository.js";
import { identityTags } from "../../restic/tags.js";
import { type StoredFile, storeStream } from "../store.js";
import type { PostgresTarget } from "./discover.js";
import { exportSnapshot, type RowCounts, type SnapshotSession } from "./rowcounts.js";
import { clientEnv, lastLines, query } from "./sql.js";

export interface PostgresDeps {
  engine: Engine;
  repository: ResticRepository;
  host: string;
  metrics: TargetMetrics;
  /** When given, each dump's exact row counts are recorded in the manifest (same snapshot as pg_dump). */
  sandbox?: Pick<Sandbox, "openExec">;
}

export interface RunInfo {
  runId: string;
  signal: AbortSignal;
  log: Logger;
}

export const GLOBALS_KIND = "postgres-globals";

/** The databases to dump: the include label, or all but the excluded. Unknown names are problems. */
export function selectDatabases(target: PostgresTarget, existing: readonly string[]) {
  const problems: string[] = [];
  let selected: string[];
  if (target.include) {
    for (const name of target.include) {
      if (!existing.includes(name))
        problems.push(`database "${name}" named in the databases label does not exist`);
    }
    selected = target.include.filter((name) => existing.includes(name));
  } else {
    selected = existing.filter((name) => !target.exclude.includes(name));
  }
  return { selected, problems };
}

export async function listDatabases(
  engine: Engine,
  target: PostgresTarget,
  signal: AbortSignal,
): Promise<string[]> {
  return query(
    engine,
    target,
    "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1",
    signal,
  );
}

export async function backupPostgres(
  target: PostgresTarget,
  deps: PostgresDeps,
  run: RunInfo,
): Promise<StoredFile[]> {
  const log = run.log.child({ target: target.name });
  const fail = (message: string, cause?: unknown) =>
    new BackupError(`postgres target "${target.name}": ${message}`, { target: target.name, cause });
  if (target.problems.length) throw fail(target.problems.join("; "));
  const current = await deps.engine.inspect(target.container.id);
  if (!current) throw fail(`container ${target.container.name} no longer exists`);
  if (!current.running) throw fail(`container ${current.name} is not running (state: ${current.state})`);

  const errors: Error[] = [];
  try {
    await query(deps.engine, target, "CHECKPOINT", run.signal);
    log.info("CHECKPOINT done");
  } catch (error) {
    const text = (error as Error).message;
    errors.push(
      /pg_checkpoint|must be superuser/.test(text)
        ? fail(
            `role "${target.user}" may not run CHECKPOINT: GRANT pg_checkpoint TO "${target.user}" (PostgreSQL 15+), or back up as a superuser`,
            error,
          )
        : fail("CHECKPOINT failed", error),
    );
  }
  const existing = await listDatabases(deps.engine, target, run.signal);
  const { selected, problems } = selectDatabases(target, existing);
  for (const problem of problems) errors.push(fail(problem));

  const stored: StoredFile[] = [];
  const manifest: Record<string, unknown>[] = [];
  const dump = async (
    kind: string,
    database: string | undefined,
    fileName: string,
    cmd: string[],
    env: string[],
    session?: SnapshotSession,
  ) => {
    const key = { kind, target: target.name, database: database ?? "" };
    try {
      const filename = await deps.repository.stdinFilename(["postgres", target.name, fileName], run.signal);
      const tags = identityTags({ kind, target: target.name, database, run: run.runId });
      let tables: RowCounts | undefined;
      const file = await storeStream(
        { env: deps.repository.env, host: deps.host, filename, tags, signal: run.signal },
        async (sink, signal) => {
          const result = await deps.engine.exec(target.container.id, cmd, sink, { env, signal });
          if (result.exitCode !== 0) {
            throw fail(
              `${cmd[0]} of ${database ?? "globals"} exited ${result.exitCode}: ${lastLines(result.stderr)}`,
            );
          }
          // Counted before EOF, in pg_dump's own snapshot: a failed count leaves no dump behind.
          if (session) tables = await session.count(signal);
        },
      );
      deps.metrics.success(key, new Date(), file.size, file.durationSeconds);
      stored.push(file);
      manifest.push({
        kind,
        database,
        file: file.filename,
        snapshot: file.snapshotId,
        size: file.size,
        sha256: file.sha256,
        ...(tables ? { tables } : {}),
      });
      log.info(
        {
          database,
          file: file.filename,
          snapshot: file.snapshotId.slice(0, 8),
          bytes: file.size,
          added: file.dataAdded,
          seconds: Number(file.durationSeconds.toFixed(3)),
        },
        `stored ${file.filename}`,
      );
    } catch (error) {
      deps.metrics.failure(key);
      errors.push(
        error instanceof BackupError && error.target
          ? error
          : fail(`${database ?? "globals"}: ${(error as Error).message}`, error),
      );
      log.error({ database, err: error }, `backup of ${database ?? "globals"} failed`);
    }
  };

  if (target.globals) {
    const isSuper =
      (
        await query(
          deps.engine,
          target,
          "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
          run.signal,
        )
      )[0] === "t";
    if (!isSuper)
      log.warn(`role "${target.user}" is not a superuser: globals are dumped without role passwords`);
    const cmd = ["pg_dumpall", "--globals-only", "-w", `--database=${target.maintenanceDb}`];
    if (!isSuper) cmd.push("--no-role-passwords");
    await dump(GLOBALS_KIND, undefined, "globals.sql", cmd, clientEnv(target));
  }
  for (const database of selected) {
    run.signal.throwIfAborted();
    const cmd = ["pg_dump", "--format=custom", `--compress=${target.compress}`, "-w"];
    let session: SnapshotSession | undefined;
    if (deps.sandbox) {
      try {
        session = await exportSnapshot(deps.sandbox, target, database, run.signal);
        cmd.push(`--snapshot=${session.snapshotId}`);
      } catch (error) {
        deps.metrics.failure({ kind: "postgres", target: target.name, database });
        errors.push(fail(`${database}: ${(error as Error).message}`, error));
        continue;
      }
    }
    try {
      await dump("postgres", database, `${database}.dump`, cmd, clientEnv(target, database), session);
    } finally {
      await session
        ?.close()
        .catch((error: unknown) => log.warn({ database, err: error }, "closing the snapshot session failed"));
    }
  }

  if (stored.length > 0) {
    const text = `${JSON.stringify({ target: target.name, run: run.runId, image: current.image, files: manifest }, null, 2)}\n`;
    const filename = await deps.repository.stdinFilename(
      ["postgres", target.name, "manifest.json"],
      run.signal,
    );
    await storeStream(
      {
        env: deps.repository.env,
        host: deps.host,
        filename,
        tags: identityTags({ kind: "manifest", target: target.name, run: run.runId }),
        signal: run.signal,
      },
      async (sink) => void sink.write(text),
    );
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateBackupError(`postgres target "${target.name}"`, errors);
  return stored;
}
