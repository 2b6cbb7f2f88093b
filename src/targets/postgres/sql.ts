// Small SQL through psql inside the database's own container (or a recovered copy of it), and the
// user's checks. Credentials go in the exec's env.
import { BackupError } from "../../core/errors.js";
import { exitNote, lastLines } from "../../core/text.js";
import type { Engine } from "../../docker/engine.js";
import type { PostgresTarget, SqlCheck } from "./discover.js";

/** PGUSER (and PGPASSWORD when the target has one) for the exec: never on a command line. */
export function clientEnv(target: PostgresTarget, database?: string): string[] {
  const env = [`PGUSER=${target.user}`];
  const password = target.passwordEnv ? target.container.env[target.passwordEnv] : undefined;
  if (password !== undefined) env.push(`PGPASSWORD=${password}`);
  if (database !== undefined) env.push(`PGDATABASE=${database}`);
  return env;
}

/**
 * Runs one statement; returns psql's unaligned, tuples-only output lines. `inside` runs it in another
 * container of the same server's data (a recovery of it) instead of the target's own.
 */
export async function query(
  engine: Pick<Engine, "execText">,
  target: PostgresTarget,
  sql: string,
  signal: AbortSignal,
  database = target.maintenanceDb,
  inside: { id: string; name: string } = target.container,
): Promise<string[]> {
  const cmd = ["psql", "-X", "-w", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-c", sql];
  const result = await engine.execText(inside.id, cmd, {
    env: clientEnv(target, database),
    signal,
  });
  if (result.exitCode !== 0) {
    throw new BackupError(
      `psql in ${inside.name} exited ${result.exitCode}${exitNote(result.exitCode)}: ${lastLines(result.stderr)}`,
      {
        target: target.name,
        exitCode: result.exitCode,
      },
    );
  }
  return result.stdout.split("\n").filter((line) => line !== "");
}

/** The databases of the server that accept connections, templates excepted. */
export function listDatabases(engine: Engine, target: PostgresTarget, signal: AbortSignal): Promise<string[]> {
  return query(engine, target, "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1", signal);
}

/** The user's checks of one database; one problem per check that does not answer one row of true. */
export async function runChecks(psql: (sql: string, db: string) => Promise<string[]>, checks: readonly SqlCheck[], database: string): Promise<string[]> {
  const problems: string[] = [];
  for (const check of checks.filter((c) => c.database === database)) {
    const named = `check "${check.database}: ${check.sql}"`;
    try {
      const answer = await psql(check.sql, database);
      if (answer.length !== 1 || !["t", "true"].includes(answer[0] as string)) problems.push(`${named} answered ${JSON.stringify(answer.join(" | ").slice(0, 200))}, not true`);
    } catch (error) {
      problems.push(`${named} failed: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** A name as a quoted SQL identifier. */
export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
