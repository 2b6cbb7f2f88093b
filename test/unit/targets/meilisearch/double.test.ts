// The Meilisearch stand-in used by the end-to-end tests, run here as a plain child process, against
// the agent's own client: the double must follow the documented API, or the e2e tests prove nothing.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../../../src/config/secret.js";
import { MeiliHttpClient } from "../../../../src/targets/meilisearch/client.js";
import { waitForTask } from "../../../../src/targets/meilisearch/task.js";

const SERVER = join(import.meta.dirname, "../../../../test/fixtures/meili-double/server.mjs");
const KEY = "double-master-key-0123";
const running: ResultPromise[] = [];

afterEach(async () => {
  for (const child of running.splice(0)) {
    child.kill("SIGKILL");
    await child.catch(() => undefined);
  }
});

/** Starts the double on a free loopback port; resolves once it says where it listens. */
async function startDouble(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "meili-double-"));
  const child = execa("node", [SERVER], {
    env: {
      MEILI_HTTP_ADDR: "127.0.0.1:0",
      MEILI_SNAPSHOT_DIR: join(dir, "snapshots"),
      MEILI_MASTER_KEY: KEY,
      MEILI_DOUBLE_SNAPSHOT_BYTES: "200000",
      ...env,
    },
    reject: false,
  });
  running.push(child);
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    void child.then((r) => reject(new Error(`the double exited: ${r.stderr}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const client = (key: string | null = KEY) =>
    new MeiliHttpClient({
      target: "double",
      url,
      apiKey: key === null ? undefined : new Secret(key),
      keySource: "test",
      requestTimeoutMs: 2_000,
    });
  return { url, dir, client, output: () => output };
}

const wait = { target: "double", intervalMs: 20, timeoutMs: 3_000 };

describe("the Meilisearch test double", () => {
  it("answers /health without a key and refuses a missing key with 401 and a wrong one with 403", async () => {
    const double = await startDouble({});
    const health = await fetch(`${double.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "available" });
    await expect(double.client(null).createSnapshot(AbortSignal.timeout(5_000))).rejects.toMatchObject({
      status: 401,
      code: "missing_authorization_header",
    });
    await expect(double.client("wrong-key").createSnapshot(AbortSignal.timeout(5_000))).rejects.toMatchObject(
      {
        status: 403,
        code: "invalid_api_key",
      },
    );
    await expect(double.client().getTask(99, AbortSignal.timeout(5_000))).rejects.toMatchObject({
      status: 404,
      code: "task_not_found",
    });
  });

  it("moves a snapshot task through enqueued and processing to succeeded and writes the snapshot file", async () => {
    const double = await startDouble({ MEILI_DOUBLE_POLLS: "4" });
    const api = double.client();
    const seen: string[] = [];
    const uid = await api.createSnapshot(AbortSignal.timeout(5_000));
    const task = await waitForTask(api, uid, {
      ...wait,
      signal: AbortSignal.timeout(5_000),
      onStatus: (t) => seen.push(t.status),
    });
    expect(seen).toEqual(["enqueued", "processing", "processing", "succeeded"]);
    expect(task).toMatchObject({ uid, type: "snapshotCreation", error: null });
    expect(Date.parse(task.finishedAt ?? "")).toBeGreaterThanOrEqual(Date.parse(task.enqueuedAt ?? ""));
    const first = readFileSync(join(double.dir, "snapshots", "data.ms.snapshot"));
    expect(first.length).toBe(200_000);
    // Each snapshot overwrites the last with different (deterministic) bytes.
    const next = await api.createSnapshot(AbortSignal.timeout(5_000));
    await waitForTask(api, next, { ...wait, signal: AbortSignal.timeout(5_000) });
    const second = readFileSync(join(double.dir, "snapshots", "data.ms.snapshot"));
    const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
    expect(sha(second)).not.toBe(sha(first));
    expect(double.output()).toMatch(/"task":0,"status":"processing"/);
  });

  it("fails the task with Meilisearch's error object when told to", async () => {
    const double = await startDouble({ MEILI_DOUBLE_OUTCOME: "fail" });
    const api = double.client();
    const uid = await api.createSnapshot(AbortSignal.timeout(5_000));
    await expect(waitForTask(api, uid, { ...wait, signal: AbortSignal.timeout(5_000) })).rejects.toThrow(
      'meilisearch target "double": snapshot task 0 failed: no_space_left_on_device: No space left on device',
    );
  });

  it("cancels the task when told to", async () => {
    const double = await startDouble({ MEILI_DOUBLE_OUTCOME: "cancel" });
    const api = double.client();
    const uid = await api.createSnapshot(AbortSignal.timeout(5_000));
    await expect(waitForTask(api, uid, { ...wait, signal: AbortSignal.timeout(5_000) })).rejects.toThrow(
      "snapshot task 0 was canceled by task 1 before it finished",
    );
  });

  it("never finishes the task when told to, so the wait times out", async () => {
    const double = await startDouble({ MEILI_DOUBLE_OUTCOME: "never" });
    const api = double.client();
    const uid = await api.createSnapshot(AbortSignal.timeout(5_000));
    await expect(
      waitForTask(api, uid, { ...wait, intervalMs: 50, timeoutMs: 300, signal: AbortSignal.timeout(5_000) }),
    ).rejects.toThrow("snapshot task 0 did not finish within 300ms (last status: processing)");
  });

  it("answers 500 to POST /snapshots when told to", async () => {
    const double = await startDouble({ MEILI_DOUBLE_OUTCOME: "http500" });
    await expect(double.client().createSnapshot(AbortSignal.timeout(5_000))).rejects.toThrow(
      /POST \/snapshots: Meilisearch failed with 500 internal/,
    );
  });
});
