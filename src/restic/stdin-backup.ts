// `restic backup` of one streamed file whose commit is explicit. restic reads the data through a
// small gate program (--stdin-from-command) that exits 0 only when commit() confirms the byte count.
// So: abort() kills restic before it saves anything, and an agent that dies mid-stream (SIGKILL,
// OOM, docker stop past its grace) leaves no snapshot either, because the gate exits 1.

import { once } from "node:events";
import { constants, openSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { BackupError } from "../core/errors.js";
import { processExists } from "../core/process.js";
import { type ResticEnv, spawnRestic } from "./command.js";
import { resticError, stderrSummary } from "./errors.js";
import { parseBackupSummary } from "./path-backup.js";
import type { SnapshotSaved, StdinUpload } from "./repository.js";

export interface StdinBackupOptions {
  /** The file name inside the snapshot, e.g. postgres/db/app.dump. */
  filename: string;
  tags: readonly string[];
  host: string;
  /** Run after restic was killed: removes the lock the killed process left. */
  afterKill?: () => Promise<void>;
}

const GATE = fileURLToPath(new URL("./stdin-gate.js", import.meta.url));
/** Gate directories are named with the agent's pid, so leftovers of a dead agent can be found. */
export const GATE_DIR_PREFIX = "backup-agent-gate-";

export class StdinBackup implements StdinUpload {
  readonly #child: ResultPromise;
  /** The process itself ended (execa's promise also waits for stdio). */
  readonly #exit: Promise<unknown>;
  readonly #data: Socket;
  readonly #control: Socket;
  readonly #dir: string;
  readonly #afterKill: (() => Promise<void>) | undefined;
  #settled = false;
  #lastWords = "";

  private constructor(
    readonly filename: string,
    child: ResultPromise,
    dir: string,
    data: Socket,
    control: Socket,
    afterKill: (() => Promise<void>) | undefined,
  ) {
    this.#afterKill = afterKill;
    this.#child = child;
    this.#dir = dir;
    this.#data = data;
    this.#control = control;
    this.#exit = once(child, "exit");
    // A write error after restic died is reported through restic's own exit, not as an event crash.
    data.on("error", () => {});
    control.on("error", () => {});
  }

  static async start(env: ResticEnv, options: StdinBackupOptions): Promise<StdinBackup> {
    const dir = await mkdtemp(join(tmpdir(), `${GATE_DIR_PREFIX}${process.pid}-`));
    try {
      const dataPath = join(dir, "data");
      const controlPath = join(dir, "control");
      await execa("mkfifo", ["-m", "600", dataPath, controlPath]);
      // O_RDWR: opening never blocks waiting for the gate, and the FIFOs keep their data until the
      // gate reads it, however late restic starts it. We close them only after restic has exited.
      const open = (path: string) =>
        new Socket({
          fd: openSync(path, constants.O_RDWR | constants.O_NONBLOCK),
          readable: false,
          writable: true,
        });
      const data = open(dataPath);
      const control = open(controlPath);
      const args = [
        "backup",
        "--stdin-from-command",
        "--stdin-filename",
        options.filename,
        "--host",
        options.host,
        "--json",
      ];
      if (options.tags.length) args.push("--tag", options.tags.join(","));
      args.push("--", process.execPath, GATE, dataPath, controlPath);
      // No cancelSignal: abort() decides how restic ends.
      const child = spawnRestic(env, args, new AbortController().signal, { cancelSignal: undefined });
      return new StdinBackup(options.filename, child, dir, data, control, options.afterKill);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Calls back once if restic exits on its own before commit() or abort(), e.g. wrong password, lock. */
  onEarlyExit(callback: () => void): void {
    void this.#exit.then(() => {
      if (!this.#settled) callback();
    });
  }

  /** Where the data goes. Never end it yourself: commit() does. */
  get stdin(): Socket {
    return this.#data;
  }

  get exited(): boolean {
    return this.#child.exitCode !== null || this.#child.signalCode !== null;
  }

  /**
   * Ends the data, confirms `bytes` to the gate, and waits for restic: the snapshot exists once this
   * resolves. When `signal` aborts first (restic still waiting for an unreachable repository, say),
   * restic is killed and its lock removed, and this rejects saying what restic had reported.
   */
  async commit(bytes: number, signal: AbortSignal): Promise<SnapshotSaved> {
    this.#settled = true;
    try {
      // Every byte is in the FIFO before the confirmation, which the gate checks against its count.
      await writeFully(this.#data, "");
      await writeFully(this.#control, `commit ${bytes}\n`);
      const result = await Promise.race([this.#child, aborted(signal)]).catch(async (reason: unknown) => {
        this.#child.kill("SIGKILL");
        await this.#exit;
        this.#lastWords = stderrSummary(String((await this.#child).stderr ?? ""));
        await this.#afterKill?.();
        const said = this.#lastWords ? `; restic had reported: ${this.#lastWords}` : "";
        throw new BackupError(`restic backup was stopped while saving the snapshot${said}`, { cause: reason, isCanceled: true });
      });
      if (result.exitCode !== 0) {
        throw resticError("backup", result.exitCode, stderrSummary(String(result.stderr)));
      }
      return parseBackupSummary(String(result.stdout));
    } finally {
      await this.#cleanup();
    }
  }

  /**
   * Kills restic before any commit (SIGKILL: nothing can turn it into a snapshot), waits for it, and
   * returns restic's own error when it had already failed by itself, which explains more.
   */
  async abort(): Promise<Error | undefined> {
    this.#settled = true;
    const ownFailure = this.exited;
    if (!ownFailure) this.#child.kill("SIGKILL");
    await this.#exit;
    await this.#cleanup();
    if (!ownFailure) await this.#afterKill?.();
    const result = await this.#child;
    if (ownFailure && result.exitCode !== 0) {
      return resticError("backup", result.exitCode, stderrSummary(String(result.stderr)));
    }
    this.#lastWords = stderrSummary(String(result.stderr ?? ""));
    return undefined;
  }

  /** What a restic killed by abort() had said on stderr (retrying an unreachable backend, say); "" if nothing. */
  get lastWords(): string {
    return this.#lastWords;
  }

  async #cleanup(): Promise<void> {
    // Closing both FIFOs without a commit makes a still-running gate exit 1.
    this.#data.destroy();
    this.#control.destroy();
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/** Removes gate directories (two empty FIFOs each) left by agents that died; returns how many. */
export async function reapGateDirs(): Promise<number> {
  let reaped = 0;
  for (const name of await readdir(tmpdir())) {
    const pid = Number(new RegExp(`^${GATE_DIR_PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (!pid || pid === process.pid || processExists(pid)) continue;
    await rm(join(tmpdir(), name), { recursive: true, force: true });
    reaped++;
  }
  return reaped;
}

/** Rejects with the signal's reason once it aborts (at once if it already has). */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** Resolves once this write and every one before it reached the kernel. */
function writeFully(socket: Socket, chunk: string): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.write(chunk, (error) => (error ? reject(error) : resolve())),
  );
}
