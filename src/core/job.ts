// What a job is, what it is given for one run, and the catalogue of job names and flags.
import type { Logger } from "pino";

export const JOB_NAMES = ["postgres", "backup", "offsite", "verify", "check", "wal", "basebackup"] as const;
export type JobName = (typeof JOB_NAMES)[number];

export interface JobSpec {
  readonly name: JobName;
  readonly summary: string;
  /** Boolean flags the job accepts, without the leading dashes. */
  readonly flags: readonly string[];
  /**
   * Runs so often (every minute) that its start and success are logged at debug level, and it has no
   * pre-run unlock (as appendOnly). Its failures are logged and reported as any.
   */
  readonly quiet?: boolean;
  /**
   * Only adds snapshots (restic's shared lock, which stale shared locks never block): no pre-run
   * unlock, so nothing slow comes before the first dump. An upload that meets another lock removes
   * the stale ones itself while it waits.
   */
  readonly appendOnly?: boolean;
}

export const JOB_SPECS: Record<JobName, JobSpec> = {
  postgres: { name: "postgres", summary: "CHECKPOINT and pg_dump of every PostgreSQL target", flags: [], appendOnly: true },
  backup: {
    name: "backup",
    summary: "every target and volume, then retention and a data-subset check",
    flags: ["prune", "check"],
  },
  offsite: { name: "offsite", summary: "copy the repository offsite, retention there", flags: ["prune"] },
  verify: {
    name: "verify",
    summary: "restore the latest backups (throwaway containers, temp dirs) and check them; check the repository",
    flags: [],
  },
  check: { name: "check", summary: "initialise the repository when absent, then restic check", flags: [] },
  wal: { name: "wal", summary: "archive the WAL of every point-in-time-recovery target written since the last run", flags: [], quiet: true },
  basebackup: { name: "basebackup", summary: "pg_basebackup of every point-in-time-recovery target", flags: [], appendOnly: true },
};

export function isJobName(name: string): name is JobName {
  return (JOB_NAMES as readonly string[]).includes(name);
}

export type JobFlags = ReadonlySet<string>;

/**
 * Parses `--prune --check` for a job. Returns the flags, or a message naming the first bad one.
 */
export function parseJobFlags(job: JobName, args: readonly string[]): JobFlags | string {
  const allowed = JOB_SPECS[job].flags;
  const flags = new Set<string>();
  for (const arg of args) {
    const name = arg.startsWith("--") ? arg.slice(2) : undefined;
    if (name === undefined || !allowed.includes(name)) {
      const expected = allowed.length ? allowed.map((f) => `--${f}`).join(", ") : "no flags";
      return `job "${job}" does not take "${arg}" (expected ${expected})`;
    }
    flags.add(name);
  }
  return flags;
}

/** How far the item being stored has got (a dump's bytes streamed, a volume's bytes read by restic). */
export interface ItemProgress {
  /** The file or directory being stored. */
  item: string;
  bytes: number;
  /** Known for a volume (restic's scan), never for a stream. */
  totalBytes?: number;
  /** The item's last report: it was stored (or failed). */
  done?: boolean;
}

/** An item's progress in a run: which target it belongs to. */
export interface RunProgress extends ItemProgress {
  kind: string;
  target: string;
}

/** What one run of a job is given. The signal fires on timeout and on shutdown. */
export interface RunContext {
  readonly runId: string;
  readonly job: JobName;
  readonly flags: JobFlags;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly startedAt: Date;
  /** Told as bytes flow (the status page's and the terminal's live progress); cheap, may be called often. */
  readonly progress?: (p: RunProgress) => void;
}

export interface Job {
  readonly name: JobName;
  /** Resolves when the job succeeded; rejects with what failed. Must stop promptly once ctx.signal aborts. */
  run(ctx: RunContext): Promise<void>;
}
