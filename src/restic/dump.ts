// `restic dump SNAPSHOT PATH` as a stream: one stored file, read back without touching the disk.
import type { Readable } from "node:stream";
import { type ResticEnv, spawnRestic } from "./command.js";
import { resticError, stderrSummary } from "./errors.js";
import type { DumpStream } from "./repository.js";

export function dumpFile(env: ResticEnv, snapshotId: string, path: string, signal: AbortSignal, archive = false): DumpStream {
  const args = ["dump", "--quiet", ...(archive ? ["--archive", "tar"] : []), snapshotId, path];
  const child = spawnRestic(env, args, signal, {
    buffer: { stdout: false, stderr: true },
  });
  const done = (async () => {
    const result = await child;
    if (result.exitCode === 0) return;
    throw resticError(`dump ${snapshotId.slice(0, 8)} ${path}`, result.exitCode, stderrSummary(String(result.stderr)), {
      isCanceled: result.isCanceled,
      cause: result.isCanceled ? signal.reason : undefined,
    });
  })();
  done.catch(() => undefined);
  return { stdout: child.stdout as Readable, done };
}
