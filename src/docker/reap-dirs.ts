// Temp dirs that verify restores volumes into: named backup-agent-verify-<run id>-<pid>-…, removed in
// `finally`, and reaped at daemon start when their agent is gone or they are older than any verify.
import { logFailure } from "../core/errors.js";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { isAlive } from "./reap.js";

export const VERIFY_DIR_PREFIX = "backup-agent-verify-";
const PATTERN = new RegExp(`^${VERIFY_DIR_PREFIX}([0-9A-Za-z-]+)-p(\\d+)-`);

/** Creates the temp dir for one volume of one verify run; the caller removes it (in finally). */
export function makeVerifyDir(runId: string, target: string): Promise<string> {
  const safe = target.replace(/[^a-zA-Z0-9_.-]/g, "_").slice(0, 60);
  return mkdtemp(join(tmpdir(), `${VERIFY_DIR_PREFIX}${runId}-p${process.pid}-${safe}-`));
}

/** The run id and pid in a verify temp dir's name, or undefined for any other name. */
export function parseVerifyDir(name: string): { runId: string; pid: number } | undefined {
  const match = PATTERN.exec(name);
  return match ? { runId: match[1] as string, pid: Number(match[2]) } : undefined;
}


/**
 * Removes verify temp dirs whose agent process is gone, or older than `maxAgeMs`; returns their paths.
 * A failed removal is logged, not thrown. `root` is os.tmpdir() unless a test says otherwise.
 */
export async function reapVerifyDirs(log: Logger, maxAgeMs: number, root = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(root)) {
    const parsed = parseVerifyDir(name);
    if (!parsed) continue;
    const path = join(root, name);
    try {
      const age = Date.now() - (await stat(path)).mtimeMs;
      if (isAlive(parsed.pid) && age <= maxAgeMs) continue;
      await rm(path, { recursive: true, force: true });
      removed.push(path);
      log.info({ dir: path, run: parsed.runId }, `removed leftover verify directory ${path}`);
    } catch (error) {
      logFailure(log, `could not remove leftover verify directory ${path}`, error, { dir: path });
    }
  }
  return removed;
}
