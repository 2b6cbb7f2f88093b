// A live volume as the agent sees it for a restore: its real directory, which must be writable.
import { access, constants, realpath } from "node:fs/promises";
import { BackupError } from "../../core/errors.js";

/** The real, writable directory of a live volume; fails naming the volume when it is not. */
export async function writableVolumeDir(volume: string, path: string): Promise<string> {
  const fail = (message: string, cause?: unknown) => new BackupError(`volume "${volume}": ${message}`, { target: volume, cause });
  let real: string;
  try {
    real = await realpath(path);
  } catch (error) {
    throw fail(`${path} does not exist: mount the volume into the agent there to restore into it`, error);
  }
  try {
    await access(real, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(
      code === "EROFS"
        ? `${path} is mounted read-only: mount it read-write (without :ro) to restore into it`
        : `${path} is not writable (${code ?? "unknown error"})`,
      error,
    );
  }
  return real;
}
