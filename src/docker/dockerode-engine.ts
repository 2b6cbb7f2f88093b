// Engine over dockerode: discovery by label, exec with demux and a polled exit code, archive reads.

import { Writable } from "node:stream";
import Docker from "dockerode";
import { looksSecretName, registerSecret } from "../config/redact.js";
import { BackupError } from "../core/errors.js";
import { attachExec } from "./attach-exec.js";
import { runningUsersOf } from "./volume-users.js";
import type {
  ContainerControl,
  ContainerInfo,
  Engine,
  ExecOptions,
  ExecResult,
  VolumeInfo,
  VolumeLister,
} from "./engine.js";


export class DockerodeEngine implements Engine, VolumeLister, ContainerControl {
  constructor(readonly docker: Docker = new Docker()) {}

  async listContainers(label: string | undefined, project?: string): Promise<ContainerInfo[]> {
    const labels = [...(label ? [label] : []), ...(project ? [`com.docker.compose.project=${project}`] : [])];
    const list = await this.docker.listContainers({ all: true, ...(labels.length ? { filters: { label: labels } } : {}) });
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
      // A container's passwords may come back in its commands' stderr: none is ever printed.
      for (const [key, value] of Object.entries(env)) if (looksSecretName(key)) registerSecret(value);
      return {
        id: c.Id,
        name,
        service: labels["com.docker.compose.service"] ?? name,
        project: labels["com.docker.compose.project"],
        labels,
        env,
        image: c.Config.Image,
        cmd: asList(c.Config.Cmd),
        entrypoint: asList(c.Config.Entrypoint),
        running: c.State.Running && !c.State.Paused,
        state: c.State.Status,
        mounts: (c.Mounts ?? []).map((m) => ({
          type: String(m.Type),
          name: m.Name,
          source: m.Source,
          destination: m.Destination,
          readOnly: m.RW === false,
        })),
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async inspectStarted(idOrName: string): Promise<{ id: string; running: boolean; started: string } | undefined> {
    try {
      const c = await this.docker.getContainer(idOrName).inspect();
      return { id: c.Id, running: c.State.Running, started: c.State.StartedAt };
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

  usersOf(volume: string): Promise<{ id: string; name: string }[]> {
    return runningUsersOf(this.docker, volume);
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
    const attached = await attachExec(this.docker, id, cmd, options, false);
    attached.stdout.pipe(stdout, { end: false });
    return attached.result;
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

/** Docker gives a command as a list, a string or null. */
function asList(value: string | string[] | null | undefined): string[] | undefined {
  if (value === null || value === undefined) return undefined;
  return Array.isArray(value) ? value : [value];
}
