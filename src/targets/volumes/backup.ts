// One volume: its directory must exist and hold something, then `restic backup` of it as its own
// snapshot. A missing or empty directory is how a volume silently went unbacked: it fails, by name.
import { readdir, realpath, stat } from "node:fs/promises";
import { BackupError } from "../../core/errors.js";
import type { Progress } from "../../restic/progress.js";
import { identityTags, KIND } from "../../restic/tags.js";
import type { BackupOutcome, KindRun } from "../kind.js";
import type { VolumeTarget } from "./discover.js";

export const describeVolume = (name: string) => `volume "${name}"`;

/** The directory restic reads: the real path (a symlinked mount is followed once, here), checked. */
export async function readableVolumePath(target: VolumeTarget): Promise<string> {
  const fail = (message: string, cause?: unknown) => new BackupError(`${describeVolume(target.name)}: ${message}`, { target: target.name, cause });
  let real: string;
  try {
    real = await realpath(target.path);
    if (!(await stat(real)).isDirectory()) throw fail(`${target.path} is not a directory`);
  } catch (error) {
    if (error instanceof BackupError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw code === "ENOENT"
      ? fail(`${target.path} does not exist: mount the volume read-only into the agent there`, error)
      : fail(`cannot read ${target.path} (${code ?? (error as Error).message})`, error);
  }
  if ((await readdir(real)).length === 0) throw fail(`${target.path} is empty: is the right volume mounted there?`);
  return real;
}

export async function backupVolume(target: VolumeTarget, run: KindRun): Promise<BackupOutcome> {
  const started = performance.now();
  const path = await readableVolumePath(target);
  const tags = identityTags({ kind: KIND.volume, target: target.name, run: run.runId });
  const report = run.onProgress;
  let bytes = 0;
  const onProgress = report && ((p: Progress) => report({ item: target.name, bytes: (bytes = p.bytesDone), totalBytes: p.totalBytes }));
  const result = await run.repository
    .backupPath(path, tags, run.signal, onProgress)
    .catch((error: unknown) => {
      report?.({ item: target.name, bytes, done: true });
      throw new BackupError(describeVolume(target.name), { target: target.name, cause: error });
    });
  report?.({ item: target.name, bytes: result.totalBytes, totalBytes: result.totalBytes, done: true });
  const seconds = (performance.now() - started) / 1000;
  return {
    stored: [{ kind: KIND.volume, filename: path, snapshotId: result.snapshotId, bytes: result.totalBytes, added: result.dataAdded, seconds }],
    failed: [],
  };
}
