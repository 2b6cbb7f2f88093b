// "EOF is the commit", against real restic: only a producer that succeeded leaves a snapshot.
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it, vi } from "vitest";
import { Secret } from "../../src/config/secret.js";
import { storeStream } from "../../src/targets/store.js";
import { newRepo, snapshots } from "./support/restic.js";

async function setup() {
  const repo = await newRepo("e2e-store");
  const env = { binary: "restic", repository: new Secret(repo.path), password: new Secret(repo.password) };
  return {
    repo,
    options: {
      env,
      host: "test",
      filename: "data.bin",
      tags: ["backup-agent", "kind=test"],
      signal: AbortSignal.timeout(60_000),
    },
  };
}

describe("storeStream", () => {
  it("stores what the producer wrote, with its size and sha256, once the producer succeeds", async () => {
    const { repo, options } = await setup();
    const data = randomBytes(3 * 1024 * 1024);
    const stored = await storeStream(options, async (sink) => {
      for (let i = 0; i < data.length; i += 65536) sink.write(data.subarray(i, i + 65536));
    });
    expect(stored.size).toBe(data.length);
    expect(stored.sha256).toBe(createHash("sha256").update(data).digest("hex"));
    const back = await execa("restic", ["dump", stored.snapshotId, "/data.bin"], {
      env: repo.env,
      encoding: "buffer",
    });
    expect(Buffer.compare(back.stdout as Uint8Array, data)).toBe(0);
  });

  it("leaves no snapshot when the producer fails after streaming most of its data", async () => {
    const { repo, options } = await setup();
    await expect(
      storeStream(options, async (sink) => {
        sink.write(randomBytes(8 * 1024 * 1024));
        await new Promise((r) => setImmediate(r));
        throw new Error("pg_dump exited 1");
      }),
    ).rejects.toThrow("pg_dump exited 1");
    expect(await snapshots(repo)).toEqual([]);
  });

  it("leaves no snapshot when the run is aborted mid-stream", async () => {
    const { repo, options } = await setup();
    const controller = new AbortController();
    await expect(
      storeStream({ ...options, signal: controller.signal }, async (sink, signal) => {
        sink.write(randomBytes(4 * 1024 * 1024));
        controller.abort(new Error("shutting down"));
        signal.throwIfAborted();
      }),
    ).rejects.toThrow("shutting down");
    expect(await snapshots(repo)).toEqual([]);
  });

  it("leaves no snapshot when the agent itself is killed mid-stream", async () => {
    const { repo } = await setup();
    const child = execa("node", [join(import.meta.dirname, "../fixtures/store-forever.mjs")], {
      env: repo.env,
      reject: false,
    });
    let out = "";
    child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
    await vi.waitFor(() => expect(out).toContain("streaming"), { timeout: 30_000, interval: 100 });
    const gates = async () =>
      (await execa("pgrep", ["-f", `stdin-gate.js /tmp/backup-agent-gate-${child.pid}-`], { reject: false }))
        .stdout;
    expect(await gates()).not.toBe("");
    child.kill("SIGKILL");
    await child;
    // restic and its gate see the agent vanish, and end without saving anything.
    await vi.waitFor(async () => expect(await gates()).toBe(""), { timeout: 30_000, interval: 200 });
    await vi.waitFor(
      async () => expect((await execa("pgrep", ["-f", "forever.bin"], { reject: false })).stdout).toBe(""),
      {
        timeout: 30_000,
        interval: 200,
      },
    );
    expect(await snapshots(repo)).toEqual([]);
  });

  it("reports restic's own failure, not a broken pipe, when the password is wrong", async () => {
    const { repo, options } = await setup();
    const wrong = { ...options, env: { ...options.env, password: new Secret("not-the-password") } };
    // A producer that never ends on its own, like a long pg_dump: restic's failure must stop it.
    const failure = storeStream(wrong, async (sink, signal) => {
      while (!signal.aborted) {
        await new Promise((r) => setImmediate(r));
        if (!sink.write(randomBytes(1024 * 1024))) {
          await new Promise((r) => {
            sink.once("drain", r);
            signal.addEventListener("abort", r, { once: true });
          });
        }
      }
      signal.throwIfAborted();
    });
    await expect(failure).rejects.toThrow(/wrong repository password \(exit code 12\)/);
    expect(await snapshots(repo)).toEqual([]);
  });
});
