// `backup-agent snapshots [--target NAME] [--json]`: what the repository holds, newest last.
import type { Snapshot } from "../restic/repository.js";
import type { App } from "./app.js";

export interface SnapshotRow {
  id: string;
  time: string;
  kind: string;
  target: string;
  database: string;
  run: string;
  path: string;
  bytes: number | null;
}

export function snapshotRows(snapshots: readonly Snapshot[], target?: string): SnapshotRow[] {
  return snapshots
    .filter((s) => target === undefined || s.tags.target === target)
    .map((s) => ({
      id: s.id,
      time: s.time.toISOString(),
      kind: s.tags.kind ?? "",
      target: s.tags.target ?? "",
      database: s.tags.database ?? "",
      run: s.tags.run ?? "",
      path: s.paths[0] ?? "",
      bytes: s.totalBytes ?? null,
    }));
}

/** Exit codes: 0 listed (even when empty); restic failures throw. */
export async function snapshotsCommand(app: App, { target, json }: { target?: string; json: boolean }): Promise<number> {
  const rows = snapshotRows(await app.repository.snapshots(AbortSignal.timeout(120_000)), target);
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const table = [["ID", "TIME", "KIND", "TARGET", "DATABASE", "RUN", "BYTES", "PATH"]];
  for (const r of rows) {
    table.push([
      r.id.slice(0, 8),
      r.time,
      r.kind,
      r.target,
      r.database,
      r.run.slice(0, 8),
      String(r.bytes ?? ""),
      r.path,
    ]);
  }
  const widths = table[0]?.map((_, c) => Math.max(...table.map((row) => (row[c] ?? "").length))) ?? [];
  for (const row of table)
    process.stdout.write(
      `${row
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join("  ")
        .trimEnd()}\n`,
    );
  if (rows.length === 0)
    process.stdout.write(target ? `no snapshots of target "${target}"\n` : "no snapshots\n");
  return 0;
}
