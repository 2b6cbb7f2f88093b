// `backup-agent run <job> [flags]`: one run through the same runner as the schedule, with its
// progress drawn when the output is a terminal.
import type { JobFlags, JobName } from "../core/job.js";
import { type App, logWarnings } from "./app.js";
import type { TerminalProgress } from "./run-progress.js";

/**
 * Exit codes: 0 success, 1 the run failed (arguments are checked by parseRunArgs, exit 64).
 * `progress` draws on a terminal.
 */
export async function runCommand(
  app: App,
  { job: name, flags }: { job: JobName; flags: JobFlags },
  progress?: TerminalProgress,
): Promise<number> {
  logWarnings(app);

  const onSignal = () => void app.runner.shutdown(0);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const detach = progress?.attach(app.history);
  try {
    const outcome = await app.runner.run(name, flags, "cli");
    return outcome.result === "success" ? 0 : 1;
  } finally {
    detach?.();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await app.healthchecks.flush();
    await app.healthchecks.close();
  }
}
