import { describe, expect, it } from "vitest";
import type { MeiliTask, TaskStatus } from "../../../../src/targets/meilisearch/client.js";
import { MeilisearchError } from "../../../../src/targets/meilisearch/errors.js";
import { waitForTask } from "../../../../src/targets/meilisearch/task.js";

/** A task that answers each poll with the next status of the script, then repeats the last one. */
function scripted(statuses: TaskStatus[], last: Partial<MeiliTask> = {}) {
  const seen: TaskStatus[] = [];
  return {
    seen,
    api: {
      async getTask(uid: number, signal: AbortSignal): Promise<MeiliTask> {
        signal.throwIfAborted();
        const status = statuses[Math.min(seen.length, statuses.length - 1)] as TaskStatus;
        seen.push(status);
        const final = seen.length >= statuses.length;
        return { uid, status, error: null, enqueuedAt: new Date().toISOString(), ...(final ? last : {}) };
      },
    },
  };
}

const fast = { target: "search", intervalMs: 10, timeoutMs: 5_000 };

async function rejection(promise: Promise<unknown>): Promise<MeilisearchError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MeilisearchError);
  return error as MeilisearchError;
}

describe("waiting for a snapshot task", () => {
  it("resolves once the task moves from enqueued through processing to succeeded", async () => {
    const { api, seen } = scripted(["enqueued", "processing", "processing", "succeeded"]);
    const statuses: string[] = [];
    const task = await waitForTask(api, 7, {
      ...fast,
      signal: AbortSignal.timeout(5_000),
      onStatus: (t) => statuses.push(t.status),
    });
    expect(task).toMatchObject({ uid: 7, status: "succeeded" });
    expect(seen).toEqual(["enqueued", "processing", "processing", "succeeded"]);
    expect(statuses).toEqual(seen);
  });

  it("fails with the task's error code and message when the task failed", async () => {
    const { api } = scripted(["processing", "failed"], {
      error: { message: "No space left on device", code: "no_space_left_on_device", type: "system" },
    });
    const error = await rejection(waitForTask(api, 3, { ...fast, signal: AbortSignal.timeout(5_000) }));
    expect(error.message).toBe(
      'meilisearch target "search": snapshot task 3 failed: no_space_left_on_device: No space left on device',
    );
    expect(error.code).toBe("no_space_left_on_device");
    expect(error.target).toBe("search");
  });

  it("fails saying the task was canceled, and by which task", async () => {
    const { api } = scripted(["enqueued", "canceled"], { canceledBy: 4 });
    const error = await rejection(waitForTask(api, 3, { ...fast, signal: AbortSignal.timeout(5_000) }));
    expect(error.message).toBe(
      'meilisearch target "search": snapshot task 3 was canceled by task 4 before it finished',
    );
    expect(error.code).toBe("canceled");
  });

  it("gives up at the time limit and says the task did not finish within it", async () => {
    const { api, seen } = scripted(["enqueued", "processing"]);
    const started = performance.now();
    const error = await rejection(
      waitForTask(api, 9, {
        target: "search",
        intervalMs: 50,
        timeoutMs: 300,
        signal: AbortSignal.timeout(5_000),
      }),
    );
    const elapsed = performance.now() - started;
    expect(error.message).toBe(
      'meilisearch target "search": snapshot task 9 did not finish within 300ms (last status: processing); BACKUP_MEILI_TIMEOUT sets the limit',
    );
    expect(error.timedOut).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_000);
    // Polled at once and then about every 50 ms: several polls, not one per 300 ms.
    expect(seen.length).toBeGreaterThanOrEqual(4);
  });

  it("stops at once when the run is aborted, and does not call that a timeout", async () => {
    const { api } = scripted(["processing"]);
    const controller = new AbortController();
    const waiting = waitForTask(api, 1, {
      target: "search",
      intervalMs: 1_000,
      timeoutMs: 60_000,
      signal: controller.signal,
    });
    const reason = new Error("run aborted");
    setTimeout(() => controller.abort(reason), 20);
    const started = performance.now();
    await expect(waiting).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("lets a transport error through unchanged", async () => {
    const refused = new MeilisearchError('meilisearch target "search": GET /tasks/1: cannot reach …');
    const api = {
      getTask: async (): Promise<MeiliTask> => {
        throw refused;
      },
    };
    await expect(waitForTask(api, 1, { ...fast, signal: AbortSignal.timeout(5_000) })).rejects.toBe(refused);
  });
});
