// croner timers for the crontab entries, in the configured time zone; a job never overlaps itself.
import { logFailure } from "../core/errors.js";
import { Cron } from "croner";
import type { Logger } from "pino";
import { type CrontabEntry, cronPattern } from "../config/crontab.js";
import type { Runner } from "../core/runner.js";

export class Scheduler {
  readonly #crons: Cron[] = [];

  constructor(
    private readonly runner: Runner,
    private readonly log: Logger,
  ) {}

  /** Starts one timer per entry. A tick while the same job runs is skipped by croner and by the runner. */
  start(entries: readonly CrontabEntry[], timezone: string): void {
    for (const entry of entries) {
      const cron = new Cron(
        cronPattern(entry.schedule),
        {
          name: `line ${entry.line}: ${entry.text}`,
          timezone,
          mode: "5-or-6-parts",
          protect: () =>
            this.log.warn({ job: entry.job, line: entry.line }, `${entry.job} tick skipped: still running`),
          catch: (error) => logFailure(this.log, "scheduler callback failed", error, { job: entry.job }),
        },
        async () => {
          await this.runner.run(entry.job, entry.flags, "schedule");
        },
      );
      this.#crons.push(cron);
      this.log.info(
        { job: entry.job, schedule: entry.schedule, line: entry.line, next: cron.nextRun()?.toISOString() },
        `scheduled ${entry.job}`,
      );
    }
  }

  /** The next run of each entry, for /healthz and status. */
  nextRuns(): { name: string; next: string | undefined }[] {
    return this.#crons.map((c) => ({ name: c.name ?? "", next: c.nextRun()?.toISOString() }));
  }

  stop(): void {
    for (const cron of this.#crons) cron.stop();
  }
}
