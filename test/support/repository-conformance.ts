// One conformance suite for every Repository: the in-memory fake (unit) and the restic CLI (e2e)
// must behave the same where the agent relies on it: EOF is the commit, and nothing else is.
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { renderError } from "../../src/core/errors.js";
import type { Repository } from "../../src/restic/repository.js";
import { storeStream } from "../../src/targets/store.js";

export interface ConformanceSubject {
  repository: Repository;
  /** Makes the next upload fail on its own before its data ends (wrong password, repository gone). */
  breakNextUpload(): void;
}

const tags = ["backup-agent", "kind=test", "target=t", "run=r"];

async function readBack(repository: Repository, id: string, path: string): Promise<Buffer> {
  const dump = repository.dump(id, path, AbortSignal.timeout(60_000));
  const chunks: Buffer[] = [];
  for await (const chunk of dump.stdout) chunks.push(chunk as Buffer);
  await dump.done;
  return Buffer.concat(chunks);
}

export function repositoryConformance(name: string, make: () => Promise<ConformanceSubject>): void {
  describe(`${name}: EOF is the commit`, () => {
    it("stores what the producer wrote, with its size and sha256, once the producer succeeds", async () => {
      const { repository } = await make();
      const data = randomBytes(3 * 1024 * 1024);
      const stored = await storeStream(repository, { parts: ["data.bin"], tags, signal: AbortSignal.timeout(60_000) }, async (sink) => {
        for (let i = 0; i < data.length; i += 65536) sink.write(data.subarray(i, i + 65536));
      });
      expect(stored.size).toBe(data.length);
      expect(stored.sha256).toBe(createHash("sha256").update(data).digest("hex"));
      const [snapshot] = await repository.snapshots(AbortSignal.timeout(60_000));
      expect(snapshot?.id).toBe(stored.snapshotId);
      expect(snapshot?.tags).toMatchObject({ kind: "test", target: "t", run: "r" });
      expect(Buffer.compare(await readBack(repository, stored.snapshotId, snapshot?.paths[0] as string), data)).toBe(0);
    });

    it("leaves no snapshot when the producer fails after streaming most of its data", async () => {
      const { repository } = await make();
      await expect(
        storeStream(repository, { parts: ["data.bin"], tags, signal: AbortSignal.timeout(60_000) }, async (sink) => {
          sink.write(randomBytes(8 * 1024 * 1024));
          await new Promise((r) => setImmediate(r));
          throw new Error("pg_dump exited 1");
        }),
      ).rejects.toThrow("pg_dump exited 1");
      expect(await repository.snapshots(AbortSignal.timeout(60_000))).toEqual([]);
    });

    it("leaves no snapshot when the run is aborted mid-stream", async () => {
      const { repository } = await make();
      const controller = new AbortController();
      await expect(
        storeStream(repository, { parts: ["data.bin"], tags, signal: controller.signal }, async (sink, signal) => {
          sink.write(randomBytes(4 * 1024 * 1024));
          controller.abort(new Error("shutting down"));
          signal.throwIfAborted();
        }),
      ).rejects.toThrow("shutting down");
      expect(await repository.snapshots(AbortSignal.timeout(60_000))).toEqual([]);
    });

    it("stops a producer that never ends when the upload fails on its own, and reports that failure", async () => {
      const subject = await make();
      subject.breakNextUpload();
      const failure = storeStream(subject.repository, { parts: ["data.bin"], tags, signal: AbortSignal.timeout(60_000) }, async (sink, signal) => {
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
      const error = await failure.then(() => undefined, (e: unknown) => e);
      expect(renderError(error)).toMatch(/restic backup: \S[^(]* \(exit code \d+\)/);
      expect(await subject.repository.snapshots(AbortSignal.timeout(60_000))).toEqual([]);
    });

    it("forgets exactly the snapshots named", async () => {
      const { repository } = await make();
      const ids: string[] = [];
      for (const n of [1, 2, 3]) {
        const s = await storeStream(repository, { parts: [`f${n}`], tags, signal: AbortSignal.timeout(60_000) }, async (sink) => void sink.write(`file ${n}`));
        ids.push(s.snapshotId);
      }
      await repository.forget([ids[0] as string, ids[2] as string], AbortSignal.timeout(60_000));
      expect((await repository.snapshots(AbortSignal.timeout(60_000))).map((s) => s.id)).toEqual([ids[1]]);
    });
  });
}
