// The shapes of the status report and what it is computed from.
import type { Snapshot } from "../restic/repository.js";
import type { CheckRecord } from "./check-record.js";
import type { VerifyRecord } from "./verify-record.js";

export type StatusLevel = "GOOD" | "WARNING" | "CRITICAL";
export type Problem = (level: Exclude<StatusLevel, "GOOD">, message: string) => void;
export const LEVEL_EXIT: Record<StatusLevel, number> = { GOOD: 0, WARNING: 1, CRITICAL: 2 };

export interface StatusThresholds {
  warnAfterMs: number;
  criticalAfterMs: number;
  verifyMaxAgeMs: number;
  offsiteMaxLagMs: number;
  /** WARNING when a point-in-time-recovery target's newest archived WAL is older than this. */
  walMaxLagMs: number;
  /** WARNING when its replication slot held more WAL than this (bytes) at the newest cut. */
  walWarnRetainedBytes: number;
}

export interface StatusInput {
  snapshots: readonly Snapshot[];
  /** What discovery finds now (undefined when Docker could not be asked: see discoveryError). */
  current: readonly { kind: string; name: string }[] | undefined;
  discoveryError?: string;
  /** `kind/name` entries of BACKUP_EXPECTED_TARGETS. */
  expected: readonly string[];
  unprotected: readonly string[];
  verify: VerifyRecord | undefined;
  /** The last `restic check`, when one left a record. */
  check?: CheckRecord;
  /** The last `restic check` of the offsite copy (at verify), when one left a record. */
  offsiteCheck?: CheckRecord;
  /** Absent when no offsite repository is configured. */
  offsite?: { newest: Date | undefined; error?: string };
  /** Why the repository could not be read: then there is no backup to show. */
  repositoryError?: string;
}

export interface TargetStatus {
  kind: string;
  target: string;
  /** Newest snapshot of the target, over its databases. */
  lastBackup: string | undefined;
  ageSeconds: number | undefined;
  /** Bytes of the newest run's files (each database's newest). */
  sizeBytes: number;
  databases: { database: string; lastBackup: string; sizeBytes: number }[];
  /** "passed" / "failed" in the last verify, or undefined when it was not verified. */
  verify: "passed" | "failed" | undefined;
  /** The same for the offsite copy (verify restores one PostgreSQL target a week from it). */
  offsiteVerify?: "passed" | "failed";
  /** How long restoring its newest backup took at the last verify: the recovery time a disaster would take. */
  restoreSeconds?: number;
  /** Found by discovery now, expected by config, or only in the repository's history. */
  source: "discovered" | "expected" | "history";
  level: StatusLevel;
  reasons: string[];
}

export interface StatusReport {
  level: StatusLevel;
  exitCode: number;
  generatedAt: string;
  thresholds: { warnAfterSeconds: number; criticalAfterSeconds: number; verifyMaxAgeSeconds: number; offsiteMaxLagSeconds: number; walMaxLagSeconds: number };
  targets: TargetStatus[];
  missing: string[];
  unprotectedVolumes: string[];
  verify: { lastRun: string; ok: boolean; failed: string[] } | undefined;
  offsite: { newest: string | undefined; lagSeconds: number | undefined; error?: string } | undefined;
  check: CheckSection | undefined;
  offsiteCheck?: CheckSection;
  /** Point-in-time-recovery targets: their recoverable windows. */
  pitr: PitrStatus[];
  /** Every reason the level is not GOOD, most severe first. */
  problems: { level: Exclude<StatusLevel, "GOOD">; message: string }[];
}


export interface CheckSection {
  lastRun: string;
  ok: boolean;
  damagedPacks: string[];
  missingPacks: string[];
  affected: string[];
  advice: string[];
}

/** One point-in-time-recovery target in the status report. */
export interface PitrStatus {
  target: string;
  /** Oldest base backup (recovery can start a little after it, once it is consistent). */
  windowFrom: string | undefined;
  /** Everything committed before this time is archived. */
  windowTo: string | undefined;
  walLagSeconds: number | undefined;
  baseBackupAgeSeconds: number | undefined;
  baseBackups: number;
  /** WAL the server held for the agent at the newest cut (bytes). */
  slotRetainedBytes: number | undefined;
}
