// `backup-agent run <job> [flags]`: one run through the same runner as the schedule, with its
// progress drawn when the output is a terminal.
import { UsageError } from "../core/errors.js";
import { isJobName, JOB_NAMES, parseJobFlags } from "../core/job.js";
import type { App } from "./app.js";
import type { TerminalProgress } from "./run-progress.js";
import { removeStaleLocks } from "./stale-locks.js";

/** Exit codes: 0 success, 1 the run failed, 64 bad usage. `progress` draws on a terminal. */
export async function runCommand(app: App, args: readonly string[], progress?: TerminalProgress): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || !isJobName(name)) {
    throw new UsageError(`run: unknown job "${name ?? ""}" (expected one of ${JOB_NAMES.join(", ")})`);
  }
  const flags = parseJobFlags(name, rest);
  if (typeof flags === "string") throw new UsageError(`run: ${flags}`);

  const onSignal = () => void app.runner.shutdown(0);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const detach = progress?.attach(app.history);
  try {
    if (name !== "check") await removeStaleLocks(app.repository, app.logger);
    const outcome = await app.runner.run(name, flags, "cli");
    return outcome.result === "success" ? 0 : 1;
  } finally {
    detach?.();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await app.healthchecks.flush(app.config.healthchecks.timeoutMs * 2);
    await app.healthchecks.close();
  }
}
