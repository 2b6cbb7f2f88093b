// Confirmation of a restore: on a terminal the operator types "yes"; without one, only --yes will do.
import { createInterface } from "node:readline/promises";
import { BackupError, UsageError } from "../core/errors.js";

/** true to go on, false when declined; throws (exit 64) when nobody can confirm. */
export async function confirmRestore(yes: boolean): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY)
    throw new UsageError("restore: not a terminal, so nobody can confirm: pass --yes to restore");
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question('Type "yes" to restore: ').finally(() => rl.close());
  return answer.trim() === "yes";
}

/** An AbortSignal that SIGINT/SIGTERM abort, for the duration of `body`. */
export async function withInterrupt<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new BackupError("restore interrupted", { isCanceled: true }));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await body(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
