// `restic dump SNAPSHOT PATH` as a stream: one stored file, read back without touching the disk.
import type { Readable } from "node:stream";
import { type ResticEnv, spawnRestic } from "./command.js";
import { resticError, stderrSummary } from "./errors.js";

export interface DumpStream {
  /** The file's bytes. Read it to its end (or destroy it). */
  stdout: Readable;
  /** Resolves when restic exited 0; rejects with the typed error for its exit code. */
  done: Promise<void>;
}

export function dumpFile(env: ResticEnv, snapshotId: string, path: string, signal: AbortSignal): DumpStream {
  const child = spawnRestic(env, ["dump", "--quiet", snapshotId, path], signal, {
    buffer: { stdout: false, stderr: true },
  });
  const done = (async () => {
    const result = await child;
    if (result.exitCode === 0) return;
    throw resticError(
      `dump ${snapshotId.slice(0, 8)} ${path}`,
      result.exitCode,
      stderrSummary(String(result.stderr)),
      {
        isCanceled: result.isCanceled,
        cause: result.isCanceled ? signal.reason : undefined,
      },
    );
  })();
  done.catch(() => undefined);
  return { stdout: child.stdout as Readable, done };
}

/** The whole file as text (for small files such as manifests). */
export async function dumpText(
  env: ResticEnv,
  snapshotId: string,
  path: string,
  signal: AbortSignal,
): Promise<string> {
  const stream = dumpFile(env, snapshotId, path, signal);
  const chunks: Buffer[] = [];
  for await (const chunk of stream.stdout) chunks.push(chunk as Buffer);
  await stream.done;
  return Buffer.concat(chunks).toString();
}
