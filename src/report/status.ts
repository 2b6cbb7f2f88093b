// The health of the backups, from what the repository holds and what Docker shows now: GOOD /
// WARNING / CRITICAL (exit 0 / 1 / 2). Pure, so every rule is unit-tested with an injected clock.
import type { Snapshot } from "../restic/repository.js";
import { DATA_KINDS, KIND } from "../restic/tags.js";
import { pitrSection } from "./pitr-status.js";
import { checkSection, hours, offsiteSection, verifySection } from "./status-sections.js";
import { LEVEL_EXIT, type StatusInput, type StatusLevel, type StatusReport, type StatusThresholds, type TargetStatus } from "./status-types.js";

export type { Problem, StatusInput, StatusLevel, StatusReport, StatusThresholds, TargetStatus } from "./status-types.js";
export { LEVEL_EXIT } from "./status-types.js";

/** An age as `40m`, `10.7h`, `3.2d` (`-` when unknown). */
export function formatAge(seconds: number | undefined): string {
  if (seconds === undefined) return "-";
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round((seconds / 3600) * 10) / 10}h`;
  return `${Math.round((seconds / 86_400) * 10) / 10}d`;
}

/** An ISO time as `2026-11-21 13:00:04Z`. */
export function formatTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

const worst = (a: StatusLevel, b: StatusLevel): StatusLevel => (LEVEL_EXIT[a] >= LEVEL_EXIT[b] ? a : b);

export function evaluateStatus(input: StatusInput, t: StatusThresholds, now: Date): StatusReport {
  const problems: StatusReport["problems"] = [];
  const problem = (level: Exclude<StatusLevel, "GOOD">, message: string) => problems.push({ level, message });
  const data = input.snapshots
    .filter((s) => DATA_KINDS.includes(s.tags.kind ?? "") && s.tags.target)
    .sort((a, b) => a.time.getTime() - b.time.getTime());

  // Targets: what discovery finds, what config expects, and what the repository remembers.
  const names = new Map<string, TargetStatus["source"]>();
  const key = (kind: string, name: string) => `${kind === KIND.postgresGlobals ? KIND.postgres : kind}/${name}`;
  for (const c of input.current ?? []) names.set(key(c.kind, c.name), "discovered");
  for (const e of input.expected) if (!names.has(e)) names.set(e, "expected");
  for (const s of data) {
    const k = key(s.tags.kind as string, s.tags.target as string);
    if (!names.has(k)) names.set(k, "history");
  }

  const verified = new Map<string, boolean>();
  const offsiteVerified = new Map<string, boolean>();
  const restoreSeconds = new Map<string, number>();
  for (const r of input.verify?.results ?? []) {
    const k = `${r.kind}/${r.target}`;
    const into = r.repository === "offsite" ? offsiteVerified : verified;
    into.set(k, (into.get(k) ?? true) && r.ok);
    if (r.restoreSeconds !== undefined && r.repository !== "offsite") restoreSeconds.set(k, r.restoreSeconds);
  }

  const targets: TargetStatus[] = [];
  const missing: string[] = [];
  for (const [k, source] of [...names.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const [kind = "", target = ""] = [k.slice(0, k.indexOf("/")), k.slice(k.indexOf("/") + 1)];
    const own = data.filter((s) => key(s.tags.kind as string, s.tags.target as string) === k);
    const newestPerDb = new Map<string, Snapshot>();
    for (const s of own) newestPerDb.set(`${s.tags.kind}:${s.tags.database ?? ""}`, s);
    const newest = own.at(-1);
    const ageMs = newest ? now.getTime() - newest.time.getTime() : undefined;
    const verify = verified.has(k) ? (verified.get(k) ? "passed" : "failed") : undefined;
    const status: TargetStatus = {
      kind,
      target,
      lastBackup: newest?.time.toISOString(),
      ageSeconds: ageMs === undefined ? undefined : Math.round(ageMs / 1000),
      sizeBytes: [...newestPerDb.values()].reduce((n, s) => n + (s.totalBytes ?? 0), 0),
      databases: [...newestPerDb.entries()]
        .filter(([, s]) => s.tags.database !== undefined)
        .map(([, s]) => ({ database: s.tags.database as string, lastBackup: s.time.toISOString(), sizeBytes: s.totalBytes ?? 0 })),
      verify,
      ...(offsiteVerified.has(k) ? { offsiteVerify: offsiteVerified.get(k) ? "passed" : "failed" } : {}),
      ...(restoreSeconds.has(k) ? { restoreSeconds: restoreSeconds.get(k) } : {}),
      source,
      level: "GOOD",
      reasons: [],
    };
    const flag = (level: Exclude<StatusLevel, "GOOD">, reason: string) => {
      status.level = worst(status.level, level);
      status.reasons.push(reason);
      problem(level, `${k}: ${reason}`);
    };
    // Without Docker's answer, every target the repository knows is held to the same rules; without
    // the repository's, nothing is known of any target's backups (the repository problem says why).
    if (input.repositoryError) status.reasons.push("unknown: the repository cannot be read");
    else if (source !== "history" || input.current === undefined) {
      if (ageMs === undefined) {
        missing.push(k);
        flag("WARNING", source === "expected" ? "expected by BACKUP_EXPECTED_TARGETS but never backed up and not found" : "found but never backed up");
      } else if (ageMs > t.criticalAfterMs) flag("CRITICAL", `no backup for ${hours(ageMs)} (critical after ${hours(t.criticalAfterMs)})`);
      else if (ageMs > t.warnAfterMs) flag("WARNING", `no backup for ${hours(ageMs)} (warning after ${hours(t.warnAfterMs)})`);
      if (source === "expected" && ageMs !== undefined) {
        missing.push(k);
        flag("WARNING", "expected by BACKUP_EXPECTED_TARGETS but not found now");
      }
    }
    if (verify === "failed") flag("WARNING", "the last verify failed");
    if (status.offsiteVerify === "failed") flag("WARNING", "the last verify of its offsite copy failed");
    targets.push(status);
  }

  if (input.repositoryError) problem("CRITICAL", `cannot read the repository: ${input.repositoryError}`);
  else if (data.length === 0) problem("CRITICAL", "the repository holds no backup at all");
  if (input.discoveryError) problem("WARNING", `cannot discover targets in Docker: ${input.discoveryError}`);
  for (const v of input.unprotected) problem("WARNING", `volume ${v} is unprotected: no target backs it up and no label excludes it`);

  const verify = verifySection(input, verified, data, t, now, problem);
  const offsite = offsiteSection(input, data, t, problem);
  const check = checkSection(input.check, problem);
  const offsiteCheck = checkSection(input.offsiteCheck, problem);
  const pitr = input.repositoryError ? [] : pitrSection(input.snapshots, t, now, problem);

  problems.sort((a, b) => LEVEL_EXIT[b.level] - LEVEL_EXIT[a.level]);
  const level = problems.reduce<StatusLevel>((l, p) => worst(l, p.level), "GOOD");
  return {
    level,
    exitCode: LEVEL_EXIT[level],
    generatedAt: now.toISOString(),
    thresholds: {
      warnAfterSeconds: t.warnAfterMs / 1000,
      criticalAfterSeconds: t.criticalAfterMs / 1000,
      verifyMaxAgeSeconds: t.verifyMaxAgeMs / 1000,
      offsiteMaxLagSeconds: t.offsiteMaxLagMs / 1000,
      walMaxLagSeconds: t.walMaxLagMs / 1000,
    },
    targets,
    missing: [...new Set(missing)],
    unprotectedVolumes: [...input.unprotected],
    verify,
    offsite,
    check,
    ...(offsiteCheck ? { offsiteCheck } : {}),
    pitr,
    problems,
  };
}
