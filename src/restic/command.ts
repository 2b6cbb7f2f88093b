// Runs restic with the repository and password in the child's env (never argv), cancellable.
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { execa, type Options, type ResultPromise } from "execa";
import { RESTIC_PASSED_THROUGH } from "../config/schema.js";
import type { Secret } from "../config/secret.js";
import { ResticCredentialsError, ResticNoRepositoryError, resticError, stderrSummary } from "./errors.js";
import { type Hopeless, hopelessBackendError } from "./refused.js";

export interface ResticEnv {
  binary: string;
  repository: Secret;
  password: Secret;
  /** Extra env for this command only (e.g. RESTIC_FROM_REPOSITORY for copy). */
  extra?: Record<string, string>;
  /**
   * This repository's own backend credentials (e.g. AWS_ACCESS_KEY_ID for an s3: offsite). When set,
   * the parent's AWS_* never reach the child: each repository gets its own keys and no other's.
   */
  credentials?: Readonly<Record<string, Secret>>;
}

/**
 * The child's environment: ours, minus any RESTIC_* of the parent that could contradict it and
 * minus the agent's own BACKUP_* settings (secrets among them, which restic never needs).
 */
export function resticChildEnv(env: ResticEnv): Record<string, string> {
  const out: Record<string, string> = {};
  const own = env.credentials !== undefined;
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith("RESTIC_") || k.startsWith("BACKUP_") || (own && k.startsWith("AWS_"))) continue;
    out[k] = v;
  }
  for (const k of RESTIC_PASSED_THROUGH) {
    const v = process.env[k];
    if (v !== undefined) out[k] = v;
  }
  for (const [k, v] of Object.entries(env.credentials ?? {})) out[k] = v.reveal();
  out.RESTIC_REPOSITORY = env.repository.reveal();
  out.RESTIC_PASSWORD = env.password.reveal();
  return { ...out, ...env.extra };
}

/**
 * How long any command waits for a lock held by another run (a prune or check takes the exclusive
 * one; backups, restores and dumps share) before failing with exit code 11.
 */
export const RETRY_LOCK = ["--retry-lock", "5m"];
const LOCKING = new Set(["backup", "check", "copy", "dump", "forget", "ls", "prune", "restore", "snapshots"]);

/** restic processes still running: killed when the agent exits, since they are detached. */
const live = new Set<ResultPromise>();
let exitHook = false;

/**
 * Starts restic. It runs in its own process group (detached): a SIGTERM sent to the agent's whole
 * group (systemd's control-group stop, `kill -TERM -PGID`) reaches only the agent, which then gives
 * running jobs their grace period and stops restic itself. Whatever is still running when the agent
 * exits is killed.
 */
export function spawnRestic(
  env: ResticEnv,
  args: readonly string[],
  signal: AbortSignal,
  options: Options = {},
): ResultPromise {
  const [command = "", ...rest] = args;
  const waits = LOCKING.has(command) && !args.includes("--no-lock") && !args.includes("--retry-lock");
  const child = execa(env.binary, waits ? [command, ...RETRY_LOCK, ...rest] : args, {
    env: resticChildEnv(env),
    extendEnv: false,
    cancelSignal: signal,
    forceKillAfterDelay: 10_000,
    reject: false,
    stdin: "ignore",
    detached: true,
    ...options,
  });
  if (!exitHook) {
    exitHook = true;
    process.on("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
  live.add(child);
  void child.finally(() => live.delete(child)).catch(() => undefined);
  return child;
}

/**
 * Runs `restic args…` to completion; returns stdout, or throws the typed error for its exit code.
 * `onLine`, when given, sees each stdout line as it comes (status lines); lines it returns true for
 * are left out of the result. Credentials the backend refuses, and a bucket that does not exist (no
 * repository), end restic at once instead of after its quarter of an hour of retries.
 */
export async function runRestic(
  env: ResticEnv,
  args: readonly string[],
  signal: AbortSignal,
  onLine?: (line: string) => boolean,
): Promise<string> {
  let hopeless: Hopeless | undefined;
  const child = spawnRestic(env, args, signal, {
    buffer: { stdout: onLine === undefined, stderr: true },
    stderr: function* (line: unknown) {
      hopeless ??= hopelessBackendError(String(line));
      if (hopeless) child.kill("SIGTERM");
      yield line;
    },
  });
  const kept: string[] = [];
  if (onLine) {
    for await (const line of createInterface({ input: child.stdout as Readable, crlfDelay: Infinity })) {
      if (!onLine(line)) kept.push(line);
    }
  }
  const result = await child;
  if (hopeless?.kind === "credentials") throw new ResticCredentialsError(`restic ${args[0] ?? ""}: the storage refused the credentials: ${hopeless.text}`);
  if (hopeless) throw new ResticNoRepositoryError(`restic ${args[0] ?? ""}: the repository does not exist: ${hopeless.text}`, { exitCode: 10 });
  if (result.exitCode === 0) return onLine ? kept.join("\n") : String(result.stdout);
  throw resticError(args[0] ?? "", result.exitCode, stderrSummary(String(result.stderr)), {
    isCanceled: result.isCanceled,
    timedOut: result.timedOut,
    // A restic that could not be started (ENOENT, EACCES) says why only in the spawn error.
    cause: result.isCanceled ? signal.reason : result.cause,
  });
}
