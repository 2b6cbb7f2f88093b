// "EOF is the commit": a producer streams into a new one-file snapshot, and the snapshot is committed
// only after the producer has succeeded. On any failure the upload is aborted and no snapshot exists.
import { finished } from "node:stream/promises";
import { BackupError } from "../core/errors.js";
import type { ItemProgress } from "../core/job.js";
import type { Repository, StdinUpload } from "../restic/repository.js";
import { identityTags } from "../restic/tags.js";
import { CheckedStream } from "./checked-stream.js";
import type { KindRun, StoredItem } from "./kind.js";

export interface StoredFile {
  filename: string;
  snapshotId: string;
  size: number;
  sha256: string;
  dataAdded: number;
  durationSeconds: number;
}

export interface StoreOptions {
  /** Path parts of the stored file: kind, target, file name. */
  parts: readonly string[];
  tags: readonly string[];
  signal: AbortSignal;
  /** Told the bytes streamed so far as they flow, and once more when the file is stored or failed. */
  onProgress?: (p: ItemProgress) => void;
}

/** How often a streamed file's progress is told while it flows (its end is always told). */
const PROGRESS_EVERY_MS = 250;

/**
 * An upload opened before its producer is ready: restic derives the key, takes its lock and loads the
 * index while the agent does other work (earlier dumps, CHECKPOINT), so a file's fixed cost overlaps.
 * Exactly one of store() or cancel() must be called; both are safe to call after the other.
 */
export interface OpenedUpload {
  /**
   * Streams what `produce` writes into the snapshot. `produce` must write into the sink it is given,
   * never end it, and resolve only when its source is known to have succeeded (exit code 0, task
   * succeeded); it rejects otherwise, and then nothing is stored.
   */
  store(produce: (sink: CheckedStream, signal: AbortSignal) => Promise<void>): Promise<StoredFile>;
  /** Ends the upload without a snapshot (nothing was streamed). Never rejects. */
  cancel(): Promise<void>;
}

/** Starts restic for one file now; the data comes later, through store(). */
export function openUpload(repository: Repository, options: StoreOptions): OpenedUpload {
  const opening = (async () => {
    options.signal.throwIfAborted();
    return repository.openStdin({ parts: options.parts, tags: options.tags }, options.signal);
  })();
  opening.catch(() => undefined);
  let used = false;
  return {
    async store(produce) {
      if (used) throw new BackupError(`${options.parts.join("/")}: this upload was already used`);
      used = true;
      const started = performance.now();
      return streamInto(repository, await opening, options, started, produce);
    },
    async cancel() {
      if (used) return;
      used = true;
      const upload = await opening.catch(() => undefined);
      await upload?.abort().catch(() => undefined);
    },
  };
}

/**
 * Streams what `produce` writes into a new snapshot holding one file. `produce` must write into the
 * sink it is given, never end it, and resolve only when its source is known to have succeeded (exit
 * code 0, task succeeded); it rejects otherwise, and then nothing is stored.
 */
export function storeStream(
  repository: Repository,
  options: StoreOptions,
  produce: (sink: CheckedStream, signal: AbortSignal) => Promise<void>,
): Promise<StoredFile> {
  return openUpload(repository, options).store(produce);
}

async function streamInto(
  repository: Repository,
  upload: StdinUpload,
  options: StoreOptions,
  started: number,
  produce: (sink: CheckedStream, signal: AbortSignal) => Promise<void>,
): Promise<StoredFile> {
  const sink = new CheckedStream();
  let streamed = 0;
  const item = options.parts.at(-1) ?? upload.filename;
  const report = options.onProgress;
  if (report) {
    let told = 0;
    sink.on("data", (chunk: Buffer) => {
      streamed += chunk.length;
      const now = performance.now();
      if (now - told >= PROGRESS_EVERY_MS) {
        told = now;
        report({ item, bytes: streamed });
      }
    });
  }
  const controller = new AbortController();
  const signal = AbortSignal.any([options.signal, controller.signal]);
  try {
    // The producer starts once restic reads: nothing is lost if restic has to start again for a lock.
    if (!(await upload.ready(signal))) {
      signal.throwIfAborted();
      throw new BackupError(`${upload.filename}: restic exited before it read the data`);
    }
    sink.pipe(upload.stdin, { end: false });
    // The upload failing first (lock, password, disk) must stop the producer, or it would block forever.
    upload.onEarlyExit(() => controller.abort(new BackupError(`${upload.filename}: restic exited before the data ended`)));
    await produce(sink, signal);
    signal.throwIfAborted();
    sink.end();
    await finished(sink, { writable: false });
  } catch (error) {
    report?.({ item, bytes: streamed, done: true });
    controller.abort();
    const uploadFailure = await upload.abort();
    sink.destroy();
    // restic's own failure explains more than the producer's broken pipe it caused; and what a restic
    // that was stopped had been reporting (an unreachable repository) explains a timeout.
    if (uploadFailure) throw new BackupError(upload.filename, { cause: uploadFailure });
    if (upload.lastWords) {
      throw new BackupError(`${upload.filename}: stopped while restic reported of repository ${repository.display}: ${upload.lastWords}`, { cause: error });
    }
    throw error;
  }
  const { size, sha256 } = sink.checksum();
  const saved = await upload
    .commit(size, signal)
    .catch((error: unknown) => {
      throw new BackupError(`${upload.filename}: saving it in repository ${repository.display}`, { cause: error });
    })
    .finally(() => report?.({ item, bytes: size, done: true }));
  if (saved.totalBytes !== size) {
    throw new BackupError(`${upload.filename}: restic stored ${saved.totalBytes} bytes but ${size} were streamed (snapshot ${saved.snapshotId})`);
  }
  return {
    filename: upload.filename,
    snapshotId: saved.snapshotId,
    size,
    sha256,
    dataAdded: saved.dataAdded,
    durationSeconds: (performance.now() - started) / 1000,
  };
}

/** Stores a small text (a manifest, a verify record) as its own snapshot. */
export function storeText(repository: Repository, options: StoreOptions, text: string): Promise<StoredFile> {
  return storeStream(repository, options, async (sink) => void sink.write(text));
}

/** Which file of a target's run: stored as <folder>/<target>/<file>, tagged kind, target, database, run. */
export interface RunFile {
  /** The kind of target the file belongs to (its folder: globals belong to postgres). */
  folder: string;
  /** The snapshot's own kind= tag. */
  kind: string;
  target: string;
  database?: string;
  file: string;
}

/** openUpload for one file of the run, named and tagged from its identity. */
export function openRunFile(run: Pick<KindRun, "repository" | "runId" | "signal" | "onProgress">, f: RunFile): OpenedUpload {
  const tags = identityTags({ kind: f.kind, target: f.target, database: f.database, run: run.runId });
  return openUpload(run.repository, { parts: [f.folder, f.target, f.file], tags, signal: run.signal, onProgress: run.onProgress });
}

/** storeStream for one file of the run, named and tagged from its identity. */
export function storeRunFile(
  run: Pick<KindRun, "repository" | "runId" | "signal" | "onProgress">,
  f: RunFile,
  produce: (sink: CheckedStream, signal: AbortSignal) => Promise<void>,
): Promise<StoredFile> {
  return openRunFile(run, f).store(produce);
}

/** A stored file as a kind reports it. */
export function storedItem(kind: string, file: StoredFile, database?: string): StoredItem {
  return { kind, database, filename: file.filename, snapshotId: file.snapshotId, bytes: file.size, added: file.dataAdded, seconds: file.durationSeconds };
}
