// One place that starts a Docker exec, demultiplexes its output with backpressure, ties it to an
// AbortSignal and resolves with the exit code once Docker knows it. Used by Engine and Sandbox.
import type { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import type Docker from "dockerode";
import { DockerDemux } from "./demux.js";
import { BackupError } from "../core/errors.js";
import type { ExecOptions, ExecResult } from "./engine.js";

const STDERR_LIMIT = 64 * 1024;
const EXIT_CODE_TIMEOUT_MS = 30_000;

export interface AttachedExec {
  /** The raw hijacked socket: write stdin into it when attached with stdin. */
  socket: NodeJS.ReadWriteStream;
  /** The exec's stdout. Pipe it somewhere, or `result` never resolves. */
  stdout: Readable;
  /** Resolves when the output has ended and Docker reports the exit code (never null). */
  result: Promise<ExecResult>;
}

export async function attachExec(
  docker: Docker,
  id: string,
  cmd: readonly string[],
  options: ExecOptions,
  withStdin: boolean,
): Promise<AttachedExec> {
  const { signal } = options;
  signal.throwIfAborted();
  const container = docker.getContainer(id);
  const exec = await container.exec({
    Cmd: [...cmd],
    AttachStdin: withStdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    Env: options.env,
    User: options.user,
  });
  const socket = (await exec.start({ hijack: true, stdin: withStdin })) as NodeJS.ReadWriteStream & {
    destroy(error?: Error): void;
  };
  let stderr = "";
  const demux = new DockerDemux((chunk) => {
    stderr = (stderr + chunk.toString()).slice(-STDERR_LIMIT);
  });
  const onAbort = () => socket.destroy(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
  signal.addEventListener("abort", onAbort, { once: true });
  socket.on("error", (error) => demux.destroy(error));
  socket.pipe(demux);
  const result = (async (): Promise<ExecResult> => {
    try {
      await finished(demux, { writable: false });
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    signal.throwIfAborted();
    return { exitCode: await waitForExitCode(exec, container, signal), stderr };
  })();
  return { socket, stdout: demux, result };
}

/** Docker may still say Running or ExitCode null right after the stream ends: poll until it knows. */
export async function waitForExitCode(
  exec: Docker.Exec,
  container: Docker.Container,
  signal: AbortSignal,
): Promise<number> {
  const started = Date.now();
  const deadline = started + EXIT_CODE_TIMEOUT_MS;
  for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return info.ExitCode;
    // A container stopped under the exec may never report the exec's exit code.
    if (Date.now() - started > 1000 && !(await container.inspect()).State.Running) {
      throw new BackupError(`docker exec ${exec.id}: the container stopped while the command ran`);
    }
    if (Date.now() > deadline) {
      throw new BackupError(
        `docker exec ${exec.id}: no exit code ${EXIT_CODE_TIMEOUT_MS / 1000}s after its output ended`,
      );
    }
    signal.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
