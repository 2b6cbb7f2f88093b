// Temp dirs that verify restores volumes into: named backup-agent-verify-<run id>-<pid>-…, removed in
// `finally`, and reaped at daemon start when their agent is gone or they are older than any verify.
import { logFailure } from "../core/errors.js";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { processStarted } from "./owner.js";
import { isAlive } from "./reap.js";

export const VERIFY_DIR_PREFIX = "backup-agent-verify-";
const PATTERN = new RegExp(`^${VERIFY_DIR_PREFIX}([0-9A-Za-z-]+)-p(\\d+)(?:s(\\d+))?-`);

/**
 * Creates the temp dir for one volume of one verify run; the caller removes it (in finally). Its name
 * carries the agent's pid and that process's start time, so a reused pid is not taken for the agent.
 */
export function makeVerifyDir(runId: string, target: string): Promise<string> {
  const safe = target.replace(/[^a-zA-Z0-9_.-]/g, "_").slice(0, 60);
  const started = processStarted(process.pid) ?? "0";
  return mkdtemp(join(tmpdir(), `${VERIFY_DIR_PREFIX}${runId}-p${process.pid}s${started}-${safe}-`));
}

/** The run id, pid and (for dirs of this version) process start time in a verify temp dir's name. */
export function parseVerifyDir(name: string): { runId: string; pid: number; started?: string } | undefined {
  const match = PATTERN.exec(name);
  return match ? { runId: match[1] as string, pid: Number(match[2]), started: match[3] } : undefined;
}

/** Whether the agent that made the dir may still run: its pid exists and, when known, started then. */
function ownerLives(dir: { pid: number; started?: string }): boolean {
  if (dir.pid === process.pid) return false;
  return dir.started === undefined ? isAlive(dir.pid) : processStarted(dir.pid) === dir.started;
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
      if (ownerLives(parsed) && age <= maxAgeMs) continue;
      await rm(path, { recursive: true, force: true });
      removed.push(path);
      log.info({ dir: path, run: parsed.runId }, `removed leftover verify directory ${path}`);
    } catch (error) {
      logFailure(log, `could not remove leftover verify directory ${path}`, error, { dir: path });
    }
  }
  return removed;
}
