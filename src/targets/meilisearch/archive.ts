// Snapshot files read out of the container through Docker's archive API (a tar stream): no shared
// volume, no exec, no temp file. A file counts as read only when every byte arrived and the tar ended.
import { once } from "node:events";
import { posix } from "node:path";
import type { Readable, Writable } from "node:stream";
import tar from "tar-stream";
import { BackupError } from "../../core/errors.js";
import type { Engine } from "../../docker/engine.js";

export interface SnapshotFile {
  /** The file's name, e.g. data.ms.snapshot. */
  name: string;
  /** Its absolute path in the container. */
  path: string;
  size: number;
  mtime: Date;
}

type Archive = Pick<Engine, "getArchive">;

/**
 * Reads a tar stream to its end, calling `onEntry` for each entry in order. `onEntry` must consume
 * the entry or leave it to be skipped. Rejects when the stream fails or ends inside an entry.
 */
async function readTar(
  source: NodeJS.ReadableStream,
  signal: AbortSignal,
  onEntry: (header: tar.Header, entry: AsyncIterable<unknown>) => Promise<boolean>,
): Promise<void> {
  const input = source as Readable;
  const extract = tar.extract();
  const onAbort = () => extract.destroy(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  let ended = false;
  input.on("error", (error) => extract.destroy(error));
  input.once("end", () => {
    ended = true;
  });
  // A connection dropped without an error event must not look like a finished archive, nor hang.
  input.once("close", () => {
    if (!ended) extract.destroy(new Error("the archive stream closed before its end"));
  });
  input.pipe(extract);
  try {
    for await (const entry of extract) {
      const consumed = await onEntry(entry.header, entry);
      if (!consumed) entry.resume();
    }
    signal.throwIfAborted();
  } finally {
    signal.removeEventListener("abort", onAbort);
    input.unpipe(extract);
    input.destroy();
  }
}

/** The regular files named *.snapshot directly in `dir`, newest first. Reads (and drops) the dir's tar. */
export async function listSnapshotFiles(
  engine: Archive,
  containerId: string,
  dir: string,
  signal: AbortSignal,
): Promise<SnapshotFile[]> {
  const files: SnapshotFile[] = [];
  const archive = await engine.getArchive(containerId, dir, signal);
  await readTar(archive, signal, async (header) => {
    // The tar of /meili_data/snapshots/ names its entries snapshots/, snapshots/data.ms.snapshot, …
    const parts = header.name.replace(/\/+$/, "").split("/");
    const name = parts[1];
    if (parts.length === 2 && header.type === "file" && name?.endsWith(".snapshot")) {
      files.push({
        name,
        path: posix.join(dir, name),
        size: header.size,
        mtime: header.mtime,
      });
    }
    return false;
  });
  return files.sort((a, b) => b.mtime.getTime() - a.mtime.getTime() || a.name.localeCompare(b.name));
}

/**
 * Streams one file out of the container into `sink` (never ending it), at the pace the sink takes
 * it. Resolves with the byte count only after the whole entry was read and the tar stream ended
 * cleanly, which makes it safe as the producer of an "EOF is the commit" snapshot.
 */
export async function streamSnapshotFile(
  engine: Archive,
  containerId: string,
  file: SnapshotFile,
  sink: Writable,
  signal: AbortSignal,
): Promise<number> {
  const archive = await engine.getArchive(containerId, file.path, signal);
  let entries = 0;
  let written = 0;
  let expected = -1;
  await readTar(archive, signal, async (header, entry) => {
    entries++;
    if (entries > 1 || header.type !== "file" || header.name !== file.name) {
      throw new BackupError(
        `${file.path}: expected one regular file "${file.name}" in the archive, got ${header.type} "${header.name}"`,
      );
    }
    expected = header.size;
    for await (const data of entry) {
      const chunk = data as Buffer;
      written += chunk.length;
      if (!sink.write(chunk)) await once(sink, "drain", { signal });
    }
    return true;
  });
  if (entries === 0) throw new BackupError(`${file.path}: the archive held no file`);
  if (written !== expected) {
    throw new BackupError(`${file.path}: the archive ended after ${written} of ${expected} bytes`);
  }
  return written;
}
