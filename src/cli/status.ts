// `backup-agent status [--json] [--standalone | --url URL]`: GOOD / WARNING / CRITICAL with exit code
// 0 / 1 / 2. Asks the running daemon's /status when one answers, else reads the repository itself:
// both compute the same report (jobs/status.ts) from the repository and Docker.
import { BackupError } from "../core/errors.js";
import { gatherStatus } from "../jobs/status.js";
import { formatAge, formatTime, LEVEL_EXIT, type StatusLevel, type StatusReport } from "../report/status.js";
import { formatBytes } from "../restic/progress.js";
import type { App } from "./app.js";
import type { StatusArgs } from "./args.js";

const DAEMON_TIMEOUT_MS = 60_000;

/** Exit code: 0 GOOD, 1 WARNING, 2 CRITICAL. */
export async function statusCommand(app: App, args: StatusArgs): Promise<number> {
  let report: StatusReport | undefined;
  let source = "the repository (standalone)";
  const daemon = args.standalone ? undefined : (args.url ?? daemonUrl(app));
  if (daemon) {
    const asked = await askDaemon(daemon, args.authorization);
    if (typeof asked === "string") {
      if (args.url) throw new BackupError(`status: ${asked}`);
      app.logger.debug({ reason: asked }, "no daemon answered: reading the repository");
    } else {
      report = asked;
      source = `the daemon at ${daemon}`;
    }
  }
  report ??= await gatherStatus(app.status, AbortSignal.timeout(DAEMON_TIMEOUT_MS));
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report, source));
  return LEVEL_EXIT[report.level];
}

function daemonUrl(app: App): string | undefined {
  const http = app.config.http;
  if (!http) return undefined;
  const host = http.host === "0.0.0.0" || http.host === "" ? "127.0.0.1" : http.host === "::" ? "::1" : http.host;
  return `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${http.port}`;
}

/** The daemon's report, or why there is none. */
async function askDaemon(base: string, authorization: string | undefined): Promise<StatusReport | string> {
  const url = `${base.replace(/\/$/, "")}/status`;
  try {
    const headers = authorization ? { authorization } : undefined;
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(DAEMON_TIMEOUT_MS) });
    if (response.status !== 200) return `${url} answered ${response.status}`;
    const report = (await response.json()) as StatusReport;
    if (!(report.level in LEVEL_EXIT)) return `${url} answered something that is not a status report`;
    return report;
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    return `${url}: ${cause ?? (error as Error).message}`;
  }
}

const mark: Record<StatusLevel, string> = { GOOD: "ok", WARNING: "WARN", CRITICAL: "CRIT" };

export function formatStatus(report: StatusReport, source: string): string {
  const lines = [`backup-agent status: ${report.level}  (from ${source}, ${report.generatedAt})`, ""];
  const rows = [["TARGET", "LAST BACKUP", "AGE", "SIZE", "RESTORE", "VERIFY", ""]];
  for (const t of report.targets) {
    rows.push([
      `${t.kind}/${t.target}${t.source === "history" ? " (not found now)" : ""}`,
      t.lastBackup ? formatTime(t.lastBackup) : "never",
      formatAge(t.ageSeconds),
      t.lastBackup ? formatBytes(t.sizeBytes) : "-",
      t.restoreSeconds === undefined ? "-" : `${t.restoreSeconds.toFixed(1)}s`,
      t.verify ?? "-",
      mark[t.level],
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  for (const r of rows) lines.push(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd());
  lines.push("");
  if (report.missing.length) lines.push(`Missing targets: ${report.missing.join(", ")}`);
  if (report.unprotectedVolumes.length) lines.push(`Unprotected volumes: ${report.unprotectedVolumes.join(", ")}`);
  lines.push(
    report.verify
      ? `Last verify: ${report.verify.lastRun} ${report.verify.ok ? "passed" : `FAILED${report.verify.failed.length ? ` (${report.verify.failed.join(", ")})` : ""}`}`
      : "Last verify: never",
  );
  for (const [name, check] of [["Last repository check", report.check], ["Last offsite check", report.offsiteCheck]] as const) {
    if (!check) continue;
    const packs = [...check.damagedPacks.map((p) => `damaged ${p.slice(0, 8)}`), ...check.missingPacks.map((p) => `missing ${p.slice(0, 8)}`)];
    lines.push(`${name}: ${check.lastRun} ${check.ok ? "passed" : `FAILED${packs.length ? ` (${packs.join(", ")})` : ""}`}`);
    if (!check.ok && check.advice.length) lines.push(`  to repair: ${check.advice.join("; then ")}`);
  }
  const offsiteVerified = report.targets.filter((t) => t.offsiteVerify);
  if (offsiteVerified.length) lines.push(`Verified from the offsite copy: ${offsiteVerified.map((t) => `${t.kind}/${t.target} ${t.offsiteVerify}`).join(", ")}`);
  if (report.offsite) {
    lines.push(
      report.offsite.error
        ? `Offsite: unreadable (${report.offsite.error})`
        : `Offsite: newest ${report.offsite.newest ?? "none"}, ${formatAge(report.offsite.lagSeconds)} behind`,
    );
  }
  for (const p of report.pitr) {
    const window = p.windowFrom && p.windowTo ? `recoverable from ${formatTime(p.windowFrom)} to ${formatTime(p.windowTo)}` : "not recoverable yet";
    const slot = p.slotRetainedBytes === undefined ? "" : `, slot holds ${Math.round(p.slotRetainedBytes / 1048576)} MB`;
    lines.push(`Point-in-time recovery postgres/${p.target}: ${window} (WAL ${formatAge(p.walLagSeconds)} behind, ${p.baseBackups} base backup(s), newest ${formatAge(p.baseBackupAgeSeconds)} old${slot})`);
  }
  if (report.problems.length) {
    lines.push("", "Problems:");
    for (const p of report.problems) lines.push(`  ${p.level}: ${p.message}`);
  }
  return `${lines.join("\n")}\n`;
}
