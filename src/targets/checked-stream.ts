// The bytes of a stored file, counted and hashed (sha256) as they stream by: at backup time for the
// manifest, at verify and restore time to prove what restic gives back is what was stored.
import { createHash } from "node:crypto";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Repository, Snapshot } from "../restic/repository.js";
import { snapshotById } from "../restic/select.js";

export interface Checksum {
  size: number;
  sha256: string;
}

/** A pass-through that counts and hashes everything written through it. */
export class CheckedStream extends PassThrough {
  readonly #hash = createHash("sha256");
  #size = 0;

  constructor() {
    super({ highWaterMark: 1 << 20 });
    this.on("data", (chunk: Buffer) => {
      this.#hash.update(chunk);
      this.#size += chunk.length;
    });
  }

  /** Bytes written into it so far, whether or not they went through yet. */
  get received(): number {
    return this.#size + this.readableLength + this.writableLength;
  }

  /** What went through so far: call once, after the stream ended. */
  checksum(): Checksum {
    return { size: this.#size, sha256: this.#hash.digest("hex") };
  }
}

/** A recorded file (a manifest entry) and the checksum it had at backup time. */
export interface RecordedFile extends Checksum {
  snapshot: string;
}

/** Why a stored file is not the one recorded, or undefined when it is. */
export function checksumProblem(recorded: Checksum, stored: Checksum): string | undefined {
  if (recorded.sha256 === stored.sha256 && recorded.size === stored.size) return undefined;
  return `sha256 ${stored.sha256} (${stored.size} bytes) stored, but ${recorded.sha256} (${recorded.size} bytes) recorded at backup time`;
}

/**
 * Streams one recorded file out of the repository into `consume` while hashing all of it (what
 * `consume` leaves unread is drained, so the checksum covers the whole file). Rejects when the file
 * cannot be read back; `consume`'s own failure is returned, not thrown.
 */
export async function readChecked(
  repository: Repository,
  snapshots: readonly Snapshot[],
  file: RecordedFile,
  signal: AbortSignal,
  consume: (input: PassThrough) => Promise<void>,
): Promise<Checksum & { consumeError?: unknown }> {
  const snapshot = snapshotById(snapshots, file.snapshot);
  const path = snapshot?.paths[0];
  if (!snapshot || !path) throw new Error(`snapshot ${file.snapshot.slice(0, 8)} named in the manifest does not exist`);
  const dump = repository.dump(snapshot.id, path, signal);
  const tap = new CheckedStream();
  const piped = pipeline(dump.stdout, tap).catch((error: unknown) => error);
  let consumeError: unknown;
  try {
    await consume(tap);
  } catch (error) {
    consumeError = error;
    if (!tap.destroyed) tap.resume();
  }
  await piped;
  await dump.done;
  return { ...tap.checksum(), consumeError };
}

/** Reads a recorded file to its end and compares it with the record; the problem, or undefined. */
export async function proveRecorded(
  repository: Repository,
  snapshots: readonly Snapshot[],
  file: RecordedFile,
  signal: AbortSignal,
): Promise<string | undefined> {
  return checksumProblem(file, await readChecked(repository, snapshots, file, signal, drain));
}

/** Reads a stream to its end, keeping nothing. */
export function drain(input: PassThrough): Promise<void> {
  input.resume();
  return new Promise<void>((resolve, reject) => input.once("end", resolve).once("error", reject));
}
