// `backup-agent run <job> [flags]`: one run through the same runner as the schedule.
import type { JobFlags, JobName } from "../core/job.js";
import { type App, logWarnings } from "./app.js";

/** Exit codes: 0 success, 1 the run failed (arguments are checked by parseRunArgs, exit 64). */
export async function runCommand(app: App, { job: name, flags }: { job: JobName; flags: JobFlags }): Promise<number> {
  logWarnings(app);

  const onSignal = () => void app.runner.shutdown(0);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const outcome = await app.runner.run(name, flags, "cli");
    return outcome.result === "success" ? 0 : 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await app.healthchecks.flush();
    await app.healthchecks.close();
  }
}
