// Verify's side of the row counts taken from the dump (dump-rows.ts): every leaf table's rows counted in
// the restored database, keyed the same way, and compared with what the dump held.
import type { RowCounts } from "../manifest.js";
import { BARE_IDENTIFIER } from "./dump-rows.js";

/** tableKey()'s spelling of one identifier (dump-rows.ts), in SQL. */
const identSql = (expr: string) =>
  `CASE WHEN ${expr} ~ '${BARE_IDENTIFIER.source}' THEN ${expr} ELSE '"' || replace(${expr}, '"', '""') || '"' END`;

/**
 * For verify, in the restored database: one line per leaf table (partitions included) outside the system
 * schemas, `key|count|ext`: key as tableKey() spells it, count(*) of the table itself (ONLY: COPY dumps no
 * inheritance children), ext `t` when the table belongs to an extension.
 */
export const RESTORED_ROWS_SQL = `SELECT k.key || '|' ||
    (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM ONLY %I.%I', n.nspname, c.relname), false, true, '')))[1]::text || '|' ||
    CASE WHEN EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e') THEN 't' ELSE 'f' END
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL (SELECT ${identSql("n.nspname::text")} || '.' || ${identSql("c.relname::text")} AS key) k
  WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
  ORDER BY k.key`;

export interface RestoredTable {
  rows: number;
  /** The table belongs to an extension: CREATE EXTENSION made it and maybe some of its rows. */
  extension: boolean;
}
export type RestoredRows = Record<string, RestoredTable>;

/** RESTORED_ROWS_SQL's lines → tables; read from the right, since a quoted name may hold `|`. Throws on a bad line. */
export function parseRestoredRows(lines: readonly string[]): RestoredRows {
  const out = Object.create(null) as RestoredRows;
  for (const line of lines) {
    if (line === "") continue;
    const extBar = line.lastIndexOf("|");
    const rowsBar = extBar > 0 ? line.lastIndexOf("|", extBar - 1) : -1;
    const ext = line.slice(extBar + 1);
    const text = line.slice(rowsBar + 1, extBar);
    const rows = Number(text);
    if (rowsBar <= 0 || (ext !== "t" && ext !== "f") || !/^\d+$/.test(text) || !Number.isSafeInteger(rows)) {
      throw new Error(`unexpected restored row count line "${line}"`);
    }
    out[line.slice(0, rowsBar)] = { rows, extension: ext === "t" };
  }
  return out;
}

/**
 * What differs between the rows counted in the dump and those restored, one sentence per table; empty when equal.
 * Extension members are left out: CREATE EXTENSION makes them, and the dump holds only the rows added later.
 */
export function compareDumpRowCounts(recorded: RowCounts, restored: RestoredRows): string[] {
  const problems: string[] = [];
  for (const [table, count] of Object.entries(recorded)) {
    const now = Object.hasOwn(restored, table) ? restored[table] : undefined;
    if (now?.extension) continue;
    if (!now) problems.push(`table ${table} (${count} rows recorded) is missing after restore`);
    else if (now.rows !== count) problems.push(`table ${table} has ${now.rows} rows restored but ${count} recorded`);
  }
  for (const [table, now] of Object.entries(restored)) {
    if (!now.extension && !Object.hasOwn(recorded, table)) {
      problems.push(`table ${table} (${now.rows} rows) was restored but not recorded at backup time`);
    }
  }
  return problems;
}
