// `restic backup` of one streamed file whose commit is explicit. restic reads the data through a
// small gate program (--stdin-from-command) that exits 0 only when commit() confirms the byte count.
// So: abort() ends the upload without a snapshot (the gate refuses; restic is killed if it does not
// end at once), and an agent that dies mid-stream (SIGKILL, OOM, docker stop past its grace) leaves
// no snapshot either, because the gate exits 1.

import { once } from "node:events";
import { constants, openSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { BackupError } from "../core/errors.js";
import { processExists } from "../core/process.js";
import { type ResticEnv, spawnRestic } from "./command.js";
import { resticError, stderrSummary } from "./errors.js";
import { parseBackupSummary } from "./path-backup.js";
import type { SnapshotSaved, StdinUpload } from "./repository.js";
import { GATE_READY, gateCommand } from "./stdin-gate.js";

export interface StdinBackupOptions {
  /** The file name inside the snapshot, e.g. postgres/db/app.dump. */
  filename: string;
  tags: readonly string[];
  host: string;
  /** Run after restic was killed: removes the lock the killed process left. */
  afterKill?: () => Promise<void>;
  /**
   * Removes stale locks. When given, restic first tries the lock without waiting: if another lock is
   * in the way, this runs and restic starts again, now waiting for the lock (a live prune's) as any
   * command does. Without it, restic waits from the start.
   */
  removeStaleLocks?: () => Promise<void>;
}

/** How long abort() lets restic end by itself once the gate refused, before it kills it. */
const ABORT_GRACE_MS = 1500;

/** Gate directories are named with the agent's pid, so leftovers of a dead agent can be found. */
export const GATE_DIR_PREFIX = "backup-agent-gate-";

export class StdinBackup implements StdinUpload {
  readonly filename: string;
  #child!: ResultPromise;
  /** The process itself ended (execa's promise also waits for stdio). */
  #exit!: Promise<unknown>;
  /** True once the gate started (restic holds its lock, has loaded the index); false if restic ended first. */
  #started!: Promise<boolean>;
  readonly #data: Socket;
  readonly #control: Socket;
  readonly #dir: string;
  readonly #env: ResticEnv;
  readonly #options: StdinBackupOptions;
  readonly #args: (waitForLock: boolean) => string[];
  #settled = false;
  #lastWords = "";
  /** What the current restic said on stderr so far (the tail). */
  #said = "";

  private constructor(env: ResticEnv, options: StdinBackupOptions, dir: string, fifos: { data: Socket; control: Socket }, args: (waitForLock: boolean) => string[]) {
    this.filename = options.filename;
    this.#env = env;
    this.#options = options;
    this.#dir = dir;
    this.#data = fifos.data;
    this.#control = fifos.control;
    this.#args = args;
    // A write error after restic died is reported through restic's own exit, not as an event crash.
    this.#data.on("error", () => {});
    this.#control.on("error", () => {});
    this.#spawn(options.removeStaleLocks === undefined);
  }

  #spawn(waitForLock: boolean): void {
    // No cancelSignal: abort() decides how restic ends.
    const child = spawnRestic(this.#env, this.#args(waitForLock), new AbortController().signal, { cancelSignal: undefined });
    this.#child = child;
    this.#exit = once(child, "exit");
    this.#said = "";
    this.#started = new Promise<boolean>((resolve) => {
      child.stderr?.on("data", (chunk: Buffer) => {
        this.#said = (this.#said + chunk.toString()).slice(-16_384);
        if (this.#said.includes(GATE_READY)) resolve(true);
      });
      void this.#exit.then(() => resolve(false));
    });
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
      const fifos = { data: open(dataPath), control: open(controlPath) };
      const args = (waitForLock: boolean) => [
        "backup",
        // Not waiting, a lock in the way fails at once (exit 11), and ready() can clear stale ones.
        ...(waitForLock ? [] : ["--retry-lock", "0s"]),
        // --force: restic would otherwise read every snapshot of the repository to find a parent,
        // which a stdin file never uses; that cost grows with the repository's history.
        "--force",
        "--stdin-from-command",
        "--stdin-filename",
        options.filename,
        "--host",
        options.host,
        "--json",
        ...(options.tags.length ? ["--tag", options.tags.join(",")] : []),
        "--",
        ...gateCommand(dataPath, controlPath),
      ];
      return new StdinBackup(env, options, dir, fifos, args);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Resolves true once restic reads the data (it holds its lock and has loaded the index), false when
   * it ended first (abort() then returns why) or `signal` aborted. A lock in the way on the first try
   * removes the stale locks and starts restic again, waiting for the lock; the FIFOs stay, since
   * nothing has read them yet.
   */
  async ready(signal: AbortSignal): Promise<boolean> {
    const started = () => Promise.race([this.#started, aborted(signal).catch(() => false)]);
    if (await started()) return true;
    if (signal.aborted || this.#options.removeStaleLocks === undefined || this.#child.exitCode !== 11) return false;
    await this.#child;
    await this.#options.removeStaleLocks();
    if (signal.aborted || this.#settled) return false;
    this.#spawn(true);
    return started();
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
        await this.#options.afterKill?.();
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
   * Ends the upload before any commit: the FIFOs close, so the gate refuses and restic ends by itself
   * without a snapshot, removing its own lock. A restic that does not end at once (still waiting for
   * an unreachable repository or another run's lock) is killed and its lock removed. Returns restic's
   * own error when it had already failed by itself, which explains more.
   */
  async abort(): Promise<Error | undefined> {
    this.#settled = true;
    const ownFailure = this.exited;
    let killed = false;
    if (!ownFailure) {
      this.#lastWords = stderrSummary(this.#said);
      this.#data.destroy();
      this.#control.destroy();
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        this.#exit.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ABORT_GRACE_MS))),
      ]);
      clearTimeout(timer);
      if (!ended) {
        this.#child.kill("SIGKILL");
        killed = true;
        await this.#exit;
      }
    }
    await this.#cleanup();
    if (killed) await this.#options.afterKill?.();
    const result = await this.#child;
    if (ownFailure && result.exitCode !== 0) {
      return resticError("backup", result.exitCode, stderrSummary(String(result.stderr)));
    }
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
