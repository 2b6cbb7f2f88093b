// The narrow view of the Docker Engine that restore-verify and restore need: throwaway containers and
// execs that read a stream on stdin. Implemented over dockerode in dockerode-sandbox.ts.
import { randomBytes } from "node:crypto";
import type { Readable, Writable } from "node:stream";
import type { ExecOptions, ExecResult } from "./engine.js";

/** Every container verify makes carries this label, so a later start can find and remove leftovers. */
export const THROWAWAY_LABEL = "backup-agent.throwaway";
export const VERIFY_RUN_LABEL = "backup-agent.verify.run";
/** The agent process that made the container (see owner.ts); the sandbox sets it on every throwaway. */
export const OWNER_LABEL = "backup-agent.owner";
/** What a throwaway is for: verify (a restored copy to query) or restore (a helper that writes a volume). */
export const ROLE_LABEL = "backup-agent.role";

/** A throwaway's name: `backup-agent-<what>-<target, in characters Docker accepts>-<random>`. */
export function throwawayName(what: string, target: string): string {
  return `backup-agent-${what}-${target.replace(/[^a-zA-Z0-9_.-]/g, "_").slice(0, 40)}-${randomBytes(3).toString("hex")}`;
}

/** An entrypoint that idles until the container is stopped, in any image with a POSIX shell. */
export const IDLE_ENTRYPOINT = ["sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"];

export interface LabelledContainer {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  created: Date;
}

export interface ThrowawayMount {
  type: "volume" | "bind";
  /** The volume's name, or the host path. */
  source: string;
  target: string;
  readOnly?: boolean;
}

export interface ThrowawaySpec {
  image: string;
  name: string;
  env: string[];
  labels: Record<string, string>;
  /** Mount point → tmpfs options, e.g. { "/var/lib/postgresql/data": "rw" }. */
  tmpfs?: Record<string, string>;
  /** Volumes or host paths it works on (a restore helper writes into one). */
  mounts?: ThrowawayMount[];
  /** Runs as this user instead of the image's ("0": a restore helper gives files back their owners). */
  user?: string;
  /** Its command instead of the image's. */
  cmd?: string[];
  entrypoint?: string[];
  /**
   * The container is the user's once made (a recovered server left running for them): it carries
   * neither the throwaway label nor an owner, so no reaper ever removes it.
   */
  keep?: boolean;
}

/** An exec whose stdin is open: write to `stdin`, read `stdout`; `result` settles after both ended. */
export interface ExecSession {
  stdin: Writable;
  stdout: Readable;
  result: Promise<ExecResult>;
}

export interface Sandbox {
  /**
   * Creates and starts a container with no network (NetworkMode "none"), labelled with its owner (this
   * agent process, see owner.ts) so that a later agent can tell a leftover from a live one. Returns its id.
   */
  createThrowaway(spec: ThrowawaySpec, signal: AbortSignal): Promise<string>;
  /** Removes the container and its anonymous volumes, running or not. Idempotent: a missing one is fine. */
  remove(id: string): Promise<void>;
  /** Ids and names of every container (running or not) that carries the label `key=value`. */
  listLabelled(label: string): Promise<LabelledContainer[]>;
  /**
   * Runs cmd with stdin attached. The caller writes into `stdin` and must end it; `result` resolves
   * once stdout has ended *and* Docker reports an exit code. Aborting `signal` destroys the stream.
   */
  openExec(id: string, cmd: readonly string[], options: ExecOptions): Promise<ExecSession>;
  /**
   * Pipes `input` into cmd's stdin (ending it when `input` ends) and collects stdout as text. When
   * cmd exits before reading all of `input`, the rest is drained (never left blocked); `input` is
   * destroyed only when the exec fails or `options.signal` aborts.
   */
  execWithStdin(
    id: string,
    cmd: readonly string[],
    input: Readable,
    options: ExecOptions,
  ): Promise<ExecResult & { stdout: string }>;
}
