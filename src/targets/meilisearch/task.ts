// Waiting for a snapshot task: poll GET /tasks/{uid} until it is final, within a time limit. Only
// `succeeded` resolves; failed, canceled and "still running at the limit" each reject and say so.
import { setTimeout as sleep } from "node:timers/promises";
import { formatDuration } from "../../config/duration.js";
import type { MeiliApi, MeiliTask, TaskStatus } from "./client.js";
import { MeilisearchError } from "./errors.js";

export interface WaitOptions {
  /** The target's name, for messages. */
  target: string;
  intervalMs: number;
  timeoutMs: number;
  signal: AbortSignal;
  /** Called with every status seen (for logs). */
  onStatus?: (task: MeiliTask) => void;
}

/** Resolves with the succeeded task. Polls at once, then every intervalMs, until timeoutMs has passed. */
export async function waitForTask(
  api: Pick<MeiliApi, "getTask">,
  uid: number,
  options: WaitOptions,
): Promise<MeiliTask> {
  const { target, signal } = options;
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const both = AbortSignal.any([signal, deadline]);
  let last: TaskStatus | "not polled yet" = "not polled yet";
  const fail = (message: string, extra: { code?: string; timedOut?: boolean; cause?: unknown } = {}) =>
    new MeilisearchError(`meilisearch target "${target}": snapshot task ${uid} ${message}`, {
      target,
      ...extra,
    });
  try {
    for (;;) {
      const task = await api.getTask(uid, both);
      last = task.status;
      options.onStatus?.(task);
      switch (task.status) {
        case "succeeded":
          return task;
        case "failed": {
          const error = task.error;
          const code = error?.code ?? "unknown";
          throw fail(`failed: ${code}: ${error?.message ?? "Meilisearch gave no error message"}`, { code });
        }
        case "canceled":
          throw fail(
            `was canceled${typeof task.canceledBy === "number" ? ` by task ${task.canceledBy}` : ""} before it finished`,
            { code: "canceled" },
          );
        default:
          await sleep(options.intervalMs, undefined, { signal: both });
      }
    }
  } catch (error) {
    if (deadline.aborted && !signal.aborted) {
      throw fail(
        `did not finish within ${formatDuration(options.timeoutMs)} (last status: ${last}); BACKUP_MEILI_TIMEOUT sets the limit`,
        { timedOut: true, cause: error },
      );
    }
    signal.throwIfAborted();
    throw error;
  }
}
