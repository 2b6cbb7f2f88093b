// Restore-verify of one PostgreSQL target: the newest manifest's dumps are streamed out of restic into
// a throwaway server of the source's own image, checked against the recorded sha256 and size, restored
// with pg_restore --exit-on-error, and their tables and exact row counts compared with the recorded ones.
import { withCleanup } from "../../core/cleanup.js";
import { BackupError } from "../../core/errors.js";
import { lastLines } from "../../core/text.js";
import type { Engine } from "../../docker/engine.js";
import type { Sandbox } from "../../docker/sandbox.js";
import type { Snapshot } from "../../restic/repository.js";
import { KIND } from "../../restic/tags.js";
import { checksumProblem, proveRecorded, readChecked } from "../checked-stream.js";
import type { KindRun, VerifyPart } from "../kind.js";
import { type ManifestFile, readManifest } from "../manifest.js";
import { pitrDrill } from "./pitr/drill.js";
import { describePostgresTarget } from "./backup.js";
import type { PostgresTarget, SqlCheck } from "./discover.js";
import { compareDumpRowCounts, parseRestoredRows, RESTORED_ROWS_SQL } from "./restored-rows.js";
import { COUNT_ROWS_SQL, compareRowCounts, parseRowCounts } from "./rowcounts.js";
import { quoteIdent, runChecks } from "./sql.js";
import { startThrowaway, type Throwaway, waitReady } from "./throwaway.js";

export interface PostgresVerifyDeps {
  engine: Engine;
  sandbox: Sandbox;
}

/** Restores one dump into the throwaway server and counts its rows; the problem, or undefined. */
async function verifyDatabase(
  deps: PostgresVerifyDeps,
  box: Throwaway,
  snapshots: readonly Snapshot[],
  file: ManifestFile,
  checks: readonly SqlCheck[],
  run: KindRun,
): Promise<string | undefined> {
  const database = file.database ?? "";
  const psql = async (sql: string, db: string) => {
    const cmd = ["psql", "-X", "-w", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-d", db, "-c", sql];
    const result = await deps.engine.execText(box.id, cmd, { env: box.env, signal: run.signal });
    if (result.exitCode !== 0) throw new Error(`psql exited ${result.exitCode}: ${lastLines(result.stderr)}`);
    return result.stdout.split("\n").filter((l) => l !== "");
  };
  if (database !== "postgres") await psql(`CREATE DATABASE ${quoteIdent(database)} TEMPLATE template0`, "postgres");
  let restoreError: string | undefined;
  const checked = await readChecked(run.repository, snapshots, file, run.signal, async (input) => {
    const cmd = ["pg_restore", "--exit-on-error", "--no-owner", "--no-acl", "-d", database];
    const result = await deps.sandbox.execWithStdin(box.id, cmd, input, { env: box.env, signal: run.signal });
    if (result.exitCode !== 0) restoreError = `pg_restore exited ${result.exitCode}: ${lastLines(result.stderr)}`;
  });
  const mismatch = checksumProblem(file, checked);
  if (mismatch) return mismatch;
  if (checked.consumeError) return `restore failed: ${(checked.consumeError as Error).message}`;
  if (restoreError) return `the dump does not restore: ${restoreError}`;
  const problems: string[] = [];
  if (file.tables && file.rowCounts === "dump") {
    // Counted in the dump as it streamed: every leaf table's own rows.
    const restored = parseRestoredRows(await psql(RESTORED_ROWS_SQL, database));
    run.log.info({ database, tables: Object.keys(restored).length }, `${database} restored and counted`);
    problems.push(...compareDumpRowCounts(file.tables, restored));
  } else if (file.tables) {
    const restored = parseRowCounts(await psql(COUNT_ROWS_SQL, database));
    run.log.info({ database, tables: Object.keys(restored).length }, `${database} restored and counted`);
    problems.push(...compareRowCounts(file.tables, restored));
  } else {
    run.log.warn({ database }, `no row counts were recorded for ${database}: only the restore itself was checked`);
  }
  problems.push(...(await runChecks(psql, checks, database)));
  return problems.length ? problems.join("; ") : undefined;
}

/** A part's problem, or undefined when it passed; an abort is thrown, any other failure is the problem. */
async function settle(check: Promise<string | undefined>, signal: AbortSignal): Promise<string | undefined> {
  try {
    return await check;
  } catch (error) {
    if (signal.aborted) throw error;
    return (error as Error).message;
  }
}

/**
 * Verifies the newest backup of one target. Returns one part per database and one ("") for the globals.
 * The throwaway container is always removed; a failure to remove it is thrown, never dropped.
 */
export async function verifyPostgres(
  name: string,
  target: PostgresTarget | undefined,
  deps: PostgresVerifyDeps,
  snapshots: readonly Snapshot[],
  run: KindRun,
): Promise<VerifyPart[]> {
  const what = describePostgresTarget(name);
  const fail = (message: string, cause?: unknown) => new BackupError(`${what}: ${message}`, { target: name, cause });
  if (!target) throw fail("is expected but no labelled container exists to verify with");
  const log = run.log.child({ target: name });
  const image = target.container.image;
  const parts: VerifyPart[] = [];
  let box: Throwaway | undefined;
  const removeBox = async () => {
    if (!box) return;
    const made = box;
    await deps.sandbox.remove(made.id).catch((error: unknown) => {
      throw fail(`removing throwaway container ${made.name}`, error);
    });
    log.info({ container: made.name }, "throwaway container removed");
  };
  await withCleanup(what, async () => {
    // The throwaway server starts (initdb) while the repository is checked and restic reads the manifest.
    box = await startThrowaway(deps.sandbox, image, name, run.runId, run.signal);
    const ready = waitReady(deps.engine, box, run.signal);
    ready.catch(() => undefined);
    await run.repositoryReady;
    const found = await readManifest(run.repository, snapshots, { kind: KIND.postgres, target: name }, run.signal).catch((error: unknown) => {
      throw fail("cannot read its manifest", error);
    });
    if (!found) throw fail("no backup to verify (no manifest snapshot in the repository)");
    const { manifest, snapshot } = found;
    if (manifest.image && manifest.image !== image) {
      log.warn({ recorded: manifest.image, image }, "the container's image changed since the backup");
    }
    log.info(
      { container: box.name, image, source: target.container.name, manifest: snapshot.id.slice(0, 8), backupRun: manifest.run },
      `throwaway container ${box.name} started from ${image}`,
    );
    // Files that are only read back (the globals) are proven beside the restores.
    const prove = (file: ManifestFile) => proveRecorded(run.repository, snapshots, file, run.signal);
    const proofs = new Map(manifest.files.filter((f) => f.kind !== KIND.postgres).map((f) => [f, settle(prove(f), run.signal)]));
    for (const proof of proofs.values()) proof.catch(() => undefined);
    await ready;
    const problems = new Map<ManifestFile, string | undefined>();
    for (const file of manifest.files.filter((f) => f.kind === KIND.postgres)) {
      run.signal.throwIfAborted();
      problems.set(file, await settle(verifyDatabase(deps, box, snapshots, file, target.checks, { ...run, log }), run.signal));
    }
    for (const file of manifest.files) {
      const database = file.database ?? "";
      const problem = problems.has(file) ? problems.get(file) : await proofs.get(file);
      parts.push({ database, what: database ? `database "${database}"` : "globals", ok: problem === undefined, problem });
      if (problem) log.error({ database, problem }, `verify of ${database || "globals"} failed`);
      else log.info({ database, bytes: file.size }, `verified ${database || "globals"}`);
    }
    // A check of a database the backup does not hold would otherwise never run: it fails, loudly.
    const held = new Set(manifest.files.flatMap((f) => (f.database ? [f.database] : [])));
    for (const check of target.checks.filter((c) => !held.has(c.database))) {
      const problem = `check "${check.database}: ${check.sql}" names a database the backup does not hold`;
      parts.push({ database: check.database, what: `database "${check.database}"`, ok: false, problem });
      log.error({ database: check.database, problem }, problem);
    }
  }, removeBox);
  if (target.pitr || snapshots.some((s) => s.tags.kind === KIND.postgresBase && s.tags.target === name)) {
    const drill = await pitrDrill(deps, target, snapshots, { ...run, log });
    if (drill.problem) log.error({ problem: drill.problem }, `verify of point-in-time recovery failed`);
    parts.push(drill);
  }
  return parts;
}
