// Restore-verify of one PostgreSQL target: the newest manifest's dumps are streamed out of restic into
// a throwaway server of the source's own image, checked against the recorded sha256 and size, restored
// with pg_restore --exit-on-error, and their tables and exact row counts compared with the recorded ones.
import { createHash } from "node:crypto";
import { PassThrough, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Logger } from "pino";
import { AggregateBackupError, BackupError } from "../../core/errors.js";
import type { Engine } from "../../docker/engine.js";
import type { Sandbox } from "../../docker/sandbox.js";
import type { ResticEnv } from "../../restic/command.js";
import { dumpFile, dumpText } from "../../restic/dump.js";
import type { Snapshot } from "../../restic/snapshots.js";
import type { PostgresTarget } from "./discover.js";
import {
  compareRowCounts,
  type Manifest,
  type ManifestFile,
  newestAtOrBefore,
  parseManifest,
} from "./manifest.js";
import { COUNT_ROWS_SQL, parseRowCounts } from "./rowcounts.js";
import { lastLines } from "./sql.js";
import { startThrowaway, type Throwaway, waitReady } from "./throwaway.js";

export interface VerifyDeps {
  engine: Engine;
  sandbox: Sandbox;
  restic: ResticEnv;
}

export interface VerifyRun {
  runId: string;
  signal: AbortSignal;
  log: Logger;
}

/** What was checked for one database (or the globals, database ""): passed or why not. */
export interface DatabaseVerdict {
  database: string;
  ok: boolean;
  problem?: string;
}

/** Reads and parses the newest manifest of the target, with the snapshot it came from. */
export async function readManifest(
  env: ResticEnv,
  snapshots: readonly Snapshot[],
  target: string,
  signal: AbortSignal,
  at?: Date,
): Promise<{ manifest: Manifest; snapshot: Snapshot } | undefined> {
  const snapshot = newestAtOrBefore(snapshots, { kind: "manifest", target }, at);
  if (!snapshot) return undefined;
  const path = snapshot.paths[0];
  if (!path) throw new Error(`manifest snapshot ${snapshot.id.slice(0, 8)} names no file`);
  const manifest = parseManifest(await dumpText(env, snapshot.id, path, signal));
  return { manifest, snapshot };
}

/** Streams one stored file into `consume` while hashing all of it; rejects when restic fails. */
export async function streamChecked(
  env: ResticEnv,
  snapshots: readonly Snapshot[],
  file: ManifestFile,
  signal: AbortSignal,
  consume: (input: PassThrough) => Promise<void>,
): Promise<{ sha256: string; size: number; consumeError?: unknown }> {
  const snapshot = snapshots.find((s) => s.id === file.snapshot || s.id.startsWith(file.snapshot));
  const path = snapshot?.paths[0];
  if (!snapshot || !path)
    throw new Error(`snapshot ${file.snapshot.slice(0, 8)} named in the manifest does not exist`);
  const dump = dumpFile(env, snapshot.id, path, signal);
  const hash = createHash("sha256");
  let size = 0;
  const tap = new PassThrough({ highWaterMark: 1 << 20 });
  tap.on("data", (chunk: Buffer) => {
    hash.update(chunk);
    size += chunk.length;
  });
  const piped = pipeline(dump.stdout, tap).catch((error: unknown) => error);
  let consumeError: unknown;
  try {
    await consume(tap);
  } catch (error) {
    consumeError = error;
    // Read whatever is left so the checksum still covers the whole file.
    if (!tap.destroyed) tap.resume();
  }
  await piped;
  await dump.done;
  return { sha256: hash.digest("hex"), size, consumeError };
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function verifyDatabase(
  deps: VerifyDeps,
  box: Throwaway,
  snapshots: readonly Snapshot[],
  file: ManifestFile,
  run: VerifyRun,
): Promise<string | undefined> {
  const database = file.database ?? "";
  const psql = async (sql: string, db: string) => {
    const result = await deps.engine.execText(
      box.id,
      ["psql", "-X", "-w", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-d", db, "-c", sql],
      { env: box.env, signal: run.signal },
    );
    if (result.exitCode !== 0) throw new Error(`psql exited ${result.exitCode}: ${lastLines(result.stderr)}`);
    return result.stdout.split("\n").filter((l) => l !== "");
  };
  if (database !== "postgres")
    await psql(`CREATE DATABASE ${quoteIdent(database)} TEMPLATE template0`, "postgres");
  let restoreError: string | undefined;
  const checked = await streamChecked(deps.restic, snapshots, file, run.signal, async (input) => {
    const result = await deps.sandbox.execWithStdin(
      box.id,
      ["pg_restore", "--exit-on-error", "--no-owner", "--no-acl", "-d", database],
      input,
      { env: box.env, signal: run.signal },
    );
    if (result.exitCode !== 0)
      restoreError = `pg_restore exited ${result.exitCode}: ${lastLines(result.stderr)}`;
  });
  if (checked.sha256 !== file.sha256 || checked.size !== file.size) {
    return `sha256 ${checked.sha256} (${checked.size} bytes) stored, but ${file.sha256} (${file.size} bytes) recorded at backup time`;
  }
  if (checked.consumeError) return `restore failed: ${(checked.consumeError as Error).message}`;
  if (restoreError) return `the dump does not restore: ${restoreError}`;
  if (!file.tables) {
    run.log.warn(
      { database },
      `no row counts were recorded for ${database}: only the restore itself was checked`,
    );
    return undefined;
  }
  const restored = parseRowCounts(await psql(COUNT_ROWS_SQL, database));
  const problems = compareRowCounts(file.tables, restored);
  run.log.info({ database, tables: Object.keys(restored).length }, `${database} restored and counted`);
  return problems.length ? problems.join("; ") : undefined;
}

/** Checks the globals file's checksum (replaying it is not needed for the dumps to restore). */
async function verifyGlobals(
  deps: VerifyDeps,
  snapshots: readonly Snapshot[],
  file: ManifestFile,
  run: VerifyRun,
) {
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const checked = await streamChecked(deps.restic, snapshots, file, run.signal, (input) =>
    pipeline(input, sink),
  );
  if (checked.sha256 !== file.sha256 || checked.size !== file.size) {
    return `sha256 ${checked.sha256} (${checked.size} bytes) stored, but ${file.sha256} (${file.size} bytes) recorded at backup time`;
  }
  return undefined;
}

/**
 * Verifies the newest backup of one target. Resolves with a verdict per database when all passed;
 * rejects naming the target and each failed database otherwise. The throwaway container is always
 * removed; a failure to remove it is joined to the result, never dropped.
 */
export async function verifyPostgres(
  target: PostgresTarget,
  deps: VerifyDeps,
  snapshots: readonly Snapshot[],
  run: VerifyRun,
  onVerdict: (verdict: DatabaseVerdict) => void,
): Promise<DatabaseVerdict[]> {
  const log = run.log.child({ target: target.name });
  const fail = (message: string, cause?: unknown) =>
    new BackupError(`postgres target "${target.name}": ${message}`, { target: target.name, cause });
  const found = await readManifest(deps.restic, snapshots, target.name, run.signal).catch(
    (error: unknown) => {
      throw fail(`cannot read its manifest: ${(error as Error).message}`, error);
    },
  );
  if (!found) throw fail("no backup to verify (no manifest snapshot in the repository)");
  const { manifest, snapshot } = found;
  const image = target.container.image;
  if (manifest.image && manifest.image !== image) {
    log.warn({ recorded: manifest.image, image }, "the container's image changed since the backup");
  }
  const verdicts: DatabaseVerdict[] = [];
  const record = (verdict: DatabaseVerdict) => {
    verdicts.push(verdict);
    onVerdict(verdict);
  };
  let box: Throwaway | undefined;
  let mainError: unknown;
  try {
    box = await startThrowaway(deps.sandbox, image, target.name, run.runId, run.signal);
    log.info(
      {
        container: box.name,
        image,
        source: target.container.name,
        manifest: snapshot.id.slice(0, 8),
        backupRun: manifest.run,
      },
      `throwaway container ${box.name} started from ${image}`,
    );
    await waitReady(deps.engine, box, run.signal);
    for (const file of manifest.files) {
      run.signal.throwIfAborted();
      const database = file.database ?? "";
      let problem: string | undefined;
      try {
        problem =
          file.kind === "postgres"
            ? await verifyDatabase(deps, box, snapshots, file, { ...run, log })
            : await verifyGlobals(deps, snapshots, file, run);
      } catch (error) {
        if (run.signal.aborted) throw error;
        problem = (error as Error).message;
      }
      record({ database, ok: problem === undefined, problem });
      if (problem) log.error({ database, problem }, `verify of ${database || "globals"} failed`);
      else log.info({ database, bytes: file.size }, `verified ${database || "globals"}`);
    }
  } catch (error) {
    mainError = error;
  } finally {
    if (box) {
      try {
        await deps.sandbox.remove(box.id);
        log.info({ container: box.name }, "throwaway container removed");
      } catch (cleanup) {
        const removal = fail(
          `removing throwaway container ${box.name}: ${(cleanup as Error).message}`,
          cleanup,
        );
        mainError = mainError
          ? new AggregateBackupError(`postgres target "${target.name}"`, [mainError as Error, removal])
          : removal;
      }
    }
  }
  if (mainError) {
    throw mainError instanceof BackupError && mainError.target
      ? mainError
      : fail((mainError as Error).message, mainError);
  }
  const failed = verdicts.filter((v) => !v.ok);
  if (failed.length) {
    throw fail(
      failed.map((v) => `${v.database ? `database "${v.database}"` : "globals"}: ${v.problem}`).join("; "),
    );
  }
  return verdicts;
}
