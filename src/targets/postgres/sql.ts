// Small SQL through psql inside the database's own container. Credentials go in the exec's env.
import { BackupError } from "../../core/errors.js";
import { exitNote, lastLines } from "../../core/text.js";
import type { Engine } from "../../docker/engine.js";
import type { PostgresTarget } from "./discover.js";

/** PGUSER (and PGPASSWORD when the target has one) for the exec: never on a command line. */
export function clientEnv(target: PostgresTarget, database?: string): string[] {
  const env = [`PGUSER=${target.user}`];
  const password = target.passwordEnv ? target.container.env[target.passwordEnv] : undefined;
  if (password !== undefined) env.push(`PGPASSWORD=${password}`);
  if (database !== undefined) env.push(`PGDATABASE=${database}`);
  return env;
}

/** Runs one statement; returns psql's unaligned, tuples-only output lines. */
export async function query(
  engine: Engine,
  target: PostgresTarget,
  sql: string,
  signal: AbortSignal,
  database = target.maintenanceDb,
): Promise<string[]> {
  const cmd = ["psql", "-X", "-w", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-c", sql];
  const result = await engine.execText(target.container.id, cmd, {
    env: clientEnv(target, database),
    signal,
  });
  if (result.exitCode !== 0) {
    throw new BackupError(
      `psql in ${target.container.name} exited ${result.exitCode}${exitNote(result.exitCode)}: ${lastLines(result.stderr)}`,
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

/** A name as a quoted SQL identifier. */
export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
