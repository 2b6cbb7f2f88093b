// Exact row counts of every table, taken in the same MVCC snapshot as pg_dump: a psql session exports
// its snapshot, pg_dump imports it (--snapshot), and the counts are read in that same transaction.
import { BackupError } from "../../core/errors.js";
import { lastLines } from "../../core/text.js";
import type { ExecSession, Sandbox } from "../../docker/sandbox.js";
import type { RowCounts } from "../manifest.js";
import type { PostgresTarget } from "./discover.js";
import { clientEnv } from "./sql.js";

/** One line per ordinary or partitioned table outside the system schemas: `name|count`. */
export const COUNT_ROWS_SQL = `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '|' ||
  (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
    AND NOT c.relispartition
  ORDER BY 1`;

/** `["public.a|3", "x.b|0"]` → `{ "public.a": 3, "x.b": 0 }`; throws on a line it cannot read. */
export function parseRowCounts(lines: readonly string[]): RowCounts {
  const out: RowCounts = {};
  for (const line of lines) {
    const bar = line.lastIndexOf("|");
    const text = line.slice(bar + 1);
    const count = Number(text);
    if (bar <= 0 || !/^\d+$/.test(text) || !Number.isSafeInteger(count))
      throw new Error(`unexpected row count line "${line}"`);
    out[line.slice(0, bar)] = count;
  }
  return out;
}

const END = "--backup-agent-end--";

/** Reads psql's output line by line, up to a marker line. */
class Lines {
  #buffer = "";
  #waiters: (() => void)[] = [];
  #ended = false;

  constructor(session: ExecSession) {
    session.stdout.on("data", (chunk: Buffer) => {
      this.#buffer += chunk.toString();
      for (const wake of this.#waiters.splice(0)) wake();
    });
    session.stdout.on("close", () => {
      this.#ended = true;
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  async until(marker: string, signal: AbortSignal): Promise<string[]> {
    for (;;) {
      signal.throwIfAborted();
      const lines = this.#buffer.split("\n");
      const at = lines.indexOf(marker);
      if (at >= 0) {
        this.#buffer = lines.slice(at + 1).join("\n");
        return lines.slice(0, at).filter((l) => l !== "");
      }
      if (this.#ended) throw new Error("psql ended before answering");
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal.removeEventListener("abort", wake);
          resolve();
        };
        this.#waiters.push(wake);
        signal.addEventListener("abort", wake, { once: true });
      });
    }
  }
}

export interface SnapshotSession {
  /** The id to give pg_dump as --snapshot. */
  snapshotId: string;
  /** Exact row counts in the exported snapshot. */
  count(signal: AbortSignal): Promise<RowCounts>;
  /** Commits and ends the session; resolves when psql has exited. Idempotent. */
  close(): Promise<void>;
}

/** Opens a REPEATABLE READ READ ONLY transaction in `database` and exports its snapshot. */
export async function exportSnapshot(
  sandbox: Pick<Sandbox, "openExec">,
  target: PostgresTarget,
  database: string,
  signal: AbortSignal,
): Promise<SnapshotSession> {
  const cmd = ["psql", "-X", "-w", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t"];
  const session = await sandbox.openExec(target.container.id, cmd, {
    env: clientEnv(target, database),
    signal,
  });
  const result = session.result.catch((error: unknown) => error as Error);
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      session.stdin.end("COMMIT;\n");
      const outcome = await result;
      if (outcome instanceof Error) throw outcome;
      if (outcome.exitCode !== 0)
        throw new BackupError(`psql exited ${outcome.exitCode}: ${lastLines(outcome.stderr)}`);
    })();
    return closed;
  };
  const lines = new Lines(session);
  try {
    session.stdin.write(
      `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSELECT pg_export_snapshot();\nSELECT '${END}';\n`,
    );
    const answer = await Promise.race([
      lines.until(END, signal),
      result.then((r) => {
        throw new Error(r instanceof Error ? r.message : `psql exited ${r.exitCode}: ${lastLines(r.stderr)}`);
      }),
    ]);
    const snapshotId = answer.at(-1) ?? "";
    if (!/^[0-9A-F]+-[0-9A-F]+(-\d+)?$/i.test(snapshotId)) {
      throw new Error(`pg_export_snapshot() answered "${answer.join(" ")}"`);
    }
    return {
      snapshotId,
      async count(countSignal) {
        session.stdin.write(`${COUNT_ROWS_SQL};\nSELECT '${END}';\n`);
        return parseRowCounts(await lines.until(END, countSignal));
      },
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw new BackupError(`exporting a snapshot of database "${database}"`, { target: target.name, cause: error });
  }
}

/** What differs between recorded and restored row counts, one sentence per table; empty when equal. */
export function compareRowCounts(recorded: RowCounts, restored: RowCounts): string[] {
  const problems: string[] = [];
  for (const [table, count] of Object.entries(recorded)) {
    const now = restored[table];
    if (now === undefined) problems.push(`table ${table} (${count} rows recorded) is missing after restore`);
    else if (now !== count) problems.push(`table ${table} has ${now} rows restored but ${count} recorded`);
  }
  for (const table of Object.keys(restored)) {
    if (!(table in recorded)) problems.push(`table ${table} was restored but not recorded at backup time`);
  }
  return problems;
}
