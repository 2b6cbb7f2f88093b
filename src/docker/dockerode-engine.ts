// Engine over dockerode: discovery by label, exec with demux and a polled exit code, archive reads.

import { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import Docker from "dockerode";
import { BackupError } from "../core/errors.js";
import { DockerDemux } from "./demux.js";
import type {
  ContainerControl,
  ContainerInfo,
  Engine,
  ExecOptions,
  ExecResult,
  VolumeInfo,
  VolumeLister,
} from "./engine.js";

const STDERR_LIMIT = 64 * 1024;
const EXIT_CODE_TIMEOUT_MS = 30_000;

export class DockerodeEngine implements Engine, VolumeLister, ContainerControl {
  constructor(readonly docker: Docker = new Docker()) {}

  async listContainers(label: string, project?: string): Promise<ContainerInfo[]> {
    const filters = { label: [label, ...(project ? [`com.docker.compose.project=${project}`] : [])] };
    const list = await this.docker.listContainers({ all: true, filters });
    const infos = await Promise.all(list.map((c) => this.inspect(c.Id)));
    return infos.filter(
      (c): c is ContainerInfo => c !== undefined && c.labels["com.docker.compose.oneoff"] !== "True",
    );
  }

  async inspect(idOrName: string): Promise<ContainerInfo | undefined> {
    try {
      const c = await this.docker.getContainer(idOrName).inspect();
      const labels = c.Config.Labels ?? {};
      const name = c.Name.replace(/^\//, "");
      const env = Object.fromEntries(
        (c.Config.Env ?? []).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
      );
      return {
        id: c.Id,
        name,
        service: labels["com.docker.compose.service"] ?? name,
        project: labels["com.docker.compose.project"],
        labels,
        env,
        image: c.Config.Image,
        running: c.State.Running && !c.State.Paused,
        state: c.State.Status,
        mounts: (c.Mounts ?? []).map((m) => ({
          type: String(m.Type),
          name: m.Name,
          destination: m.Destination,
        })),
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async listVolumes(project?: string): Promise<VolumeInfo[]> {
    const label = project ? `com.docker.compose.project=${project}` : "com.docker.compose.project";
    const list = await this.docker.listVolumes({ filters: { label: [label] } });
    return (list.Volumes ?? [])
      .map((v) => ({ name: v.Name, labels: v.Labels ?? {} }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async stop(id: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    try {
      await this.docker.getContainer(id).stop({ abortSignal: signal } as never);
    } catch (error) {
      // 304: already stopped.
      if ((error as { statusCode?: number }).statusCode !== 304) throw error;
    }
  }

  async start(id: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    try {
      await this.docker.getContainer(id).start({ abortSignal: signal } as never);
    } catch (error) {
      // 304: already started.
      if ((error as { statusCode?: number }).statusCode !== 304) throw error;
    }
  }

  async exec(
    id: string,
    cmd: readonly string[],
    stdout: Writable,
    options: ExecOptions,
  ): Promise<ExecResult> {
    const { signal } = options;
    signal.throwIfAborted();
    const exec = await this.docker.getContainer(id).exec({
      Cmd: [...cmd],
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      Env: options.env,
      User: options.user,
    });
    const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadWriteStream & {
      destroy(error?: Error): void;
    };
    let stderr = "";
    const demux = new DockerDemux((chunk) => {
      stderr = (stderr + chunk.toString()).slice(-STDERR_LIMIT);
    });
    const onAbort = () =>
      stream.destroy(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      stream.on("error", (error) => demux.destroy(error));
      stream.pipe(demux);
      demux.pipe(stdout, { end: false });
      await finished(demux, { writable: false });
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    signal.throwIfAborted();
    const exitCode = await waitForExitCode(exec, this.docker.getContainer(id), signal);
    return { exitCode, stderr };
  }

  async execText(
    id: string,
    cmd: readonly string[],
    options: ExecOptions,
  ): Promise<ExecResult & { stdout: string }> {
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        chunks.push(chunk);
        done();
      },
    });
    const result = await this.exec(id, cmd, sink, options);
    return { ...result, stdout: Buffer.concat(chunks).toString() };
  }

  async getArchive(id: string, path: string, signal: AbortSignal): Promise<NodeJS.ReadableStream> {
    signal.throwIfAborted();
    let stream: NodeJS.ReadableStream & { destroy(error?: Error): void };
    try {
      stream = (await this.docker
        .getContainer(id)
        .getArchive({ path, abortSignal: signal })) as typeof stream;
    } catch (error) {
      signal.throwIfAborted();
      // dockerode: "(HTTP code 404) no such container - Could not find the file /x in container y".
      const text = (error as Error).message;
      const detail = text.includes(" - ") ? text.slice(text.indexOf(" - ") + 3) : text;
      throw new BackupError(`docker archive of ${path}: ${detail.trim()}`, { cause: error });
    }
    const onAbort = () =>
      stream.destroy(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    stream.once("close", () => signal.removeEventListener("abort", onAbort));
    return stream;
  }
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
