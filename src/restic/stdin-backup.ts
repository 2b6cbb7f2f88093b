// `restic backup --stdin` as a handle whose EOF is the commit: commit() ends stdin only when the
// caller knows the producer succeeded; abort() kills restic first, so no snapshot is ever written.
import { once } from "node:events";
import type { Writable } from "node:stream";
import type { ResultPromise } from "execa";
import { BackupError } from "../core/errors.js";
import { type ResticEnv, spawnRestic } from "./command.js";
import { resticError, stderrSummary } from "./errors.js";

export interface StdinBackupOptions {
  /** The file name inside the snapshot, e.g. postgres/db/app.dump. */
  filename: string;
  tags: readonly string[];
  host: string;
}

export interface StdinBackupResult {
  snapshotId: string;
  dataAdded: number;
  totalBytes: number;
}

export class StdinBackup {
  readonly #child: ResultPromise;
  /** The process itself ended (execa's promise also waits for stdin, which we may still hold). */
  readonly #exit: Promise<unknown>;
  #stdinError: Error | undefined;
  #committing = false;

  constructor(env: ResticEnv, options: StdinBackupOptions) {
    const args = [
      "backup",
      "--stdin",
      "--stdin-filename",
      options.filename,
      "--host",
      options.host,
      "--json",
    ];
    if (options.tags.length) args.push("--tag", options.tags.join(","));
    // No cancelSignal: on abort restic must be killed before EOF, which abort() does.
    this.#child = spawnRestic(env, args, new AbortController().signal, {
      stdin: "pipe",
      cancelSignal: undefined,
    });
    this.#exit = once(this.#child, "exit");
    this.#child.stdin?.on("error", (error) => {
      this.#stdinError = error;
    });
  }

  /** Calls back once if restic exits on its own before commit(), e.g. on a wrong password or a lock. */
  onEarlyExit(callback: () => void): void {
    void this.#exit.then(() => {
      if (!this.#committing) callback();
    });
  }

  /** Where the data goes. Never end it yourself: commit() does. */
  get stdin(): Writable {
    const stdin = this.#child.stdin;
    if (!stdin) throw new Error("restic stdin is not a pipe");
    return stdin;
  }

  /** restic's failure if it has already exited non-zero (e.g. wrong password, before any data). */
  get exited(): boolean {
    return this.#child.exitCode !== null || this.#child.signalCode !== null;
  }

  /** Sends EOF and waits for restic: the snapshot exists once this resolves. */
  async commit(): Promise<StdinBackupResult> {
    this.#committing = true;
    this.stdin.end();
    const result = await this.#child;
    if (result.exitCode !== 0) {
      throw resticError("backup", result.exitCode, stderrSummary(String(result.stderr)), {
        cause: this.#stdinError,
      });
    }
    const summary = String(result.stdout)
      .split("\n")
      .map((line) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          return undefined;
        }
      })
      .find((m) => m?.message_type === "summary");
    if (!summary || typeof summary.snapshot_id !== "string") {
      throw new BackupError("restic backup exited 0 without a summary naming the snapshot");
    }
    return {
      snapshotId: summary.snapshot_id,
      dataAdded: Number(summary.data_added ?? 0),
      totalBytes: Number(summary.total_bytes_processed ?? 0),
    };
  }

  /**
   * Kills restic before EOF (SIGKILL: no handler can turn it into a snapshot), waits for it, and
   * returns restic's own error when it had already failed on its own, which explains more.
   */
  async abort(): Promise<Error | undefined> {
    this.#committing = true;
    const ownFailure = this.exited;
    if (!ownFailure) this.#child.kill("SIGKILL");
    await this.#exit;
    this.#child.stdin?.destroy();
    const result = await this.#child;
    if (ownFailure && result.exitCode !== 0) {
      return resticError("backup", result.exitCode, stderrSummary(String(result.stderr)));
    }
    return undefined;
  }
}
