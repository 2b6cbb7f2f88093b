// "EOF is the commit": a producer streams into restic; restic's stdin ends only after the producer
// has succeeded. On any failure restic is killed before EOF and no snapshot exists.
import { createHash } from "node:crypto";
import { PassThrough, type Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { BackupError } from "../core/errors.js";
import type { ResticEnv } from "../restic/command.js";
import { StdinBackup } from "../restic/stdin-backup.js";

export interface StoredFile {
  filename: string;
  snapshotId: string;
  size: number;
  sha256: string;
  dataAdded: number;
  durationSeconds: number;
}

export interface StoreOptions {
  env: ResticEnv;
  host: string;
  filename: string;
  tags: readonly string[];
  signal: AbortSignal;
}

/**
 * Streams what `produce` writes into a new snapshot holding one file. `produce` must write into
 * the sink it is given, never end it, and resolve only when its source is known to have succeeded
 * (exit code 0, task succeeded); it rejects otherwise.
 */
export async function storeStream(
  options: StoreOptions,
  produce: (sink: Writable, signal: AbortSignal) => Promise<void>,
): Promise<StoredFile> {
  const started = performance.now();
  options.signal.throwIfAborted();
  const backup = await StdinBackup.start(options.env, {
    filename: options.filename,
    tags: options.tags,
    host: options.host,
  });
  const hash = createHash("sha256");
  let size = 0;
  const sink = new PassThrough({ highWaterMark: 1 << 20 });
  sink.on("data", (chunk: Buffer) => {
    hash.update(chunk);
    size += chunk.length;
  });
  sink.pipe(backup.stdin, { end: false });
  const controller = new AbortController();
  const signal = AbortSignal.any([options.signal, controller.signal]);
  // restic failing first (lock, password, disk) must stop the producer, or it would block forever.
  backup.onEarlyExit(() =>
    controller.abort(new BackupError(`${options.filename}: restic exited before the data ended`)),
  );

  try {
    await produce(sink, signal);
    signal.throwIfAborted();
    sink.end();
    await finished(sink, { writable: false });
  } catch (error) {
    controller.abort();
    const resticFailure = await backup.abort();
    sink.destroy();
    throw resticFailure
      ? new BackupError(`${options.filename}: ${resticFailure.message}`, { cause: error })
      : error;
  }
  const result = await backup.commit(size);
  if (result.totalBytes !== size) {
    throw new BackupError(
      `${options.filename}: restic stored ${result.totalBytes} bytes but ${size} were streamed (snapshot ${result.snapshotId})`,
    );
  }
  return {
    filename: options.filename,
    snapshotId: result.snapshotId,
    size,
    sha256: hash.digest("hex"),
    dataAdded: result.dataAdded,
    durationSeconds: (performance.now() - started) / 1000,
  };
}
