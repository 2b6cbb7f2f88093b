import { Readable, Writable } from "node:stream";
import tar from "tar-stream";
import { describe, expect, it } from "vitest";
import {
  listSnapshotFiles,
  type SnapshotFile,
  streamSnapshotFile,
} from "../../../../src/targets/meilisearch/archive.js";

interface FakeEntry {
  name: string;
  type?: "file" | "directory";
  mtime?: Date;
  data?: Buffer;
}

/** A tar stream like Docker's archive API sends, built with tar-stream's packer. */
function tarOf(entries: FakeEntry[]): Readable {
  const pack = tar.pack();
  for (const e of entries) {
    const type = e.type ?? "file";
    const header = { name: e.name, type, mtime: e.mtime ?? new Date(), mode: 0o644 };
    if (type === "file") pack.entry(header, e.data ?? Buffer.alloc(0));
    else pack.entry(header);
  }
  pack.finalize();
  return Readable.from(pack as unknown as AsyncIterable<Buffer>);
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** An engine whose archive API answers from a table of path -> tar stream factory. */
function engine(archives: Record<string, () => Readable>) {
  const requests: string[] = [];
  return {
    requests,
    async getArchive(_id: string, path: string, _signal: AbortSignal): Promise<NodeJS.ReadableStream> {
      requests.push(path);
      const make = archives[path];
      if (!make) throw new Error(`Could not find the file ${path} in container`);
      return make();
    },
  };
}

/** A sink that takes its time, and records the most bytes the source was ever ahead of it. */
function slowSink(progress: { produced: number }) {
  const chunks: Buffer[] = [];
  let consumed = 0;
  let mostAhead = 0;
  const sink = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _e, done) {
      chunks.push(chunk);
      consumed += chunk.length;
      mostAhead = Math.max(mostAhead, progress.produced - consumed);
      setImmediate(done);
    },
  });
  return { sink, data: () => Buffer.concat(chunks), mostAhead: () => mostAhead };
}

const signal = () => AbortSignal.timeout(10_000);
const t = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));

describe("snapshot files read through the archive API", () => {
  it("lists only the *.snapshot files directly in the directory, newest first", async () => {
    const fake = engine({
      "/meili_data/snapshots/": () =>
        tarOf([
          { name: "snapshots/", type: "directory" },
          { name: "snapshots/old.ms.snapshot", mtime: t(1), data: Buffer.from("old") },
          { name: "snapshots/.tmpA1b2C3", mtime: t(9), data: Buffer.from("half-written") },
          { name: "snapshots/data.ms.snapshot", mtime: t(5), data: Buffer.alloc(100_000, 7) },
          { name: "snapshots/nested/", type: "directory" },
          { name: "snapshots/nested/deep.snapshot", mtime: t(8), data: Buffer.from("deep") },
          { name: "snapshots/notes.txt", mtime: t(7), data: Buffer.from("x") },
        ]),
    });
    const files = await listSnapshotFiles(fake, "c1", "/meili_data/snapshots/", signal());
    expect(files).toEqual([
      {
        name: "data.ms.snapshot",
        path: "/meili_data/snapshots/data.ms.snapshot",
        size: 100_000,
        mtime: t(5),
      },
      { name: "old.ms.snapshot", path: "/meili_data/snapshots/old.ms.snapshot", size: 3, mtime: t(1) },
    ]);
  });

  it("finds nothing in a directory without snapshots", async () => {
    const fake = engine({ "/snap/": () => tarOf([{ name: "snap/", type: "directory" }]) });
    expect(await listSnapshotFiles(fake, "c1", "/snap/", signal())).toEqual([]);
  });

  it("streams the file into the sink at the sink's pace, byte for byte", async () => {
    const content = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < content.length; i += 4) content.writeUInt32LE((i * 2654435761) >>> 0, i);
    const archive = await bytesOf(tarOf([{ name: "data.ms.snapshot", data: content }]));
    const progress = { produced: 0 };
    const fake = engine({
      // Like Docker's HTTP body: 64 kB pieces, counted as they leave, to see how far they run ahead.
      "/meili_data/snapshots/data.ms.snapshot": () =>
        Readable.from(
          (function* () {
            for (let at = 0; at < archive.length; at += 65_536) {
              const piece = archive.subarray(at, at + 65_536);
              progress.produced += piece.length;
              yield piece;
            }
          })(),
          { objectMode: false, highWaterMark: 65_536 },
        ),
    });
    const { sink, data, mostAhead } = slowSink(progress);
    const file: SnapshotFile = {
      name: "data.ms.snapshot",
      path: "/meili_data/snapshots/data.ms.snapshot",
      size: content.length,
      mtime: t(0),
    };
    const written = await streamSnapshotFile(fake, "c1", file, sink, signal());
    expect(written).toBe(content.length);
    expect(data().equals(content)).toBe(true);
    // Backpressure: the archive is never read far ahead of what the sink took (nothing buffers the file).
    expect(mostAhead()).toBeLessThan(1024 * 1024);
    expect(sink.writableEnded).toBe(false);
  });

  it("rejects when the archive ends inside the file, after passing on what arrived", async () => {
    const content = Buffer.alloc(300_000, 1);
    const fake = engine({
      "/s/data.ms.snapshot": () => {
        const cut = bytesOf(tarOf([{ name: "data.ms.snapshot", data: content }])).then((all) =>
          all.subarray(0, 200_000),
        );
        return Readable.from(
          (async function* () {
            yield await cut;
          })(),
        );
      },
    });
    const { sink, data } = slowSink({ produced: 0 });
    const file: SnapshotFile = {
      name: "data.ms.snapshot",
      path: "/s/data.ms.snapshot",
      size: content.length,
      mtime: t(0),
    };
    await expect(streamSnapshotFile(fake, "c1", file, sink, signal())).rejects.toThrow(
      /Unexpected end of data|ended after/,
    );
    expect(data().length).toBeLessThan(content.length);
  });

  it("rejects when the archive stream fails mid-way", async () => {
    const fake = engine({
      "/s/data.ms.snapshot": () =>
        Readable.from(
          (async function* () {
            const all = await bytesOf(tarOf([{ name: "data.ms.snapshot", data: Buffer.alloc(100_000, 2) }]));
            yield all.subarray(0, 50_000);
            throw new Error("socket hang up");
          })(),
        ),
    });
    const { sink } = slowSink({ produced: 0 });
    const file: SnapshotFile = {
      name: "data.ms.snapshot",
      path: "/s/data.ms.snapshot",
      size: 100_000,
      mtime: t(0),
    };
    await expect(streamSnapshotFile(fake, "c1", file, sink, signal())).rejects.toThrow("socket hang up");
  });

  it("rejects when the archive stream closes early without an error", async () => {
    const fake = engine({
      "/s/data.ms.snapshot": () => {
        const stream = new Readable({ read() {} });
        void bytesOf(tarOf([{ name: "data.ms.snapshot", data: Buffer.alloc(100_000, 2) }])).then((all) => {
          stream.push(all.subarray(0, 50_000));
          setImmediate(() => stream.destroy());
        });
        return stream;
      },
    });
    const file: SnapshotFile = {
      name: "data.ms.snapshot",
      path: "/s/data.ms.snapshot",
      size: 100_000,
      mtime: t(0),
    };
    await expect(
      streamSnapshotFile(fake, "c1", file, slowSink({ produced: 0 }).sink, signal()),
    ).rejects.toThrow("the archive stream closed before its end");
  });

  it("refuses an archive that holds something other than the one file", async () => {
    const fake = engine({
      "/s/data.ms.snapshot": () =>
        tarOf([
          { name: "data.ms.snapshot", data: Buffer.from("a") },
          { name: "extra", data: Buffer.from("b") },
        ]),
    });
    const file: SnapshotFile = {
      name: "data.ms.snapshot",
      path: "/s/data.ms.snapshot",
      size: 1,
      mtime: t(0),
    };
    await expect(
      streamSnapshotFile(fake, "c1", file, slowSink({ produced: 0 }).sink, signal()),
    ).rejects.toThrow(
      '/s/data.ms.snapshot: expected one regular file "data.ms.snapshot" in the archive, got file "extra"',
    );
  });

  it("stops reading when the signal aborts", async () => {
    const controller = new AbortController();
    const fake = engine({
      "/s/data.ms.snapshot": () =>
        Readable.from(
          (async function* () {
            const all = await bytesOf(tarOf([{ name: "data.ms.snapshot", data: Buffer.alloc(100_000, 2) }]));
            yield all.subarray(0, 50_000);
            controller.abort(new Error("run aborted"));
            await new Promise(() => {
              // the rest never comes
            });
          })(),
        ),
    });
    const file: SnapshotFile = {
      name: "data.ms.snapshot",
      path: "/s/data.ms.snapshot",
      size: 100_000,
      mtime: t(0),
    };
    await expect(
      streamSnapshotFile(fake, "c1", file, slowSink({ produced: 0 }).sink, controller.signal),
    ).rejects.toThrow("run aborted");
  });
});
