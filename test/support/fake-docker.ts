// A small fake of the agent's own Docker interfaces (Engine, VolumeLister, ContainerControl, Sandbox)
// for unit tests: containers and volumes in memory, and every exec answered by the test's handler.
import { once } from "node:events";
import { Readable, type Writable } from "node:stream";
import pino from "pino";
import type { RunContext } from "../../src/core/job.js";
import type {
  ContainerControl,
  ContainerInfo,
  Engine,
  ExecOptions,
  ExecResult,
  VolumeInfo,
  VolumeLister,
} from "../../src/docker/engine.js";
import type { ExecSession, LabelledContainer, Sandbox, ThrowawaySpec } from "../../src/docker/sandbox.js";

export interface ExecCall {
  container: ContainerInfo;
  cmd: readonly string[];
  env: Record<string, string>;
  /** What was piped into the exec's stdin (execWithStdin). */
  stdin?: Buffer;
}

export interface ExecReply {
  exitCode: number;
  /** Written to the exec's stdout in 64 KiB chunks, with backpressure. */
  stdout?: string | Buffer;
  stderr?: string;
}

export type ExecHandler = (call: ExecCall) => ExecReply | Promise<ExecReply>;

export function container(name: string, extra: Partial<ContainerInfo> = {}): ContainerInfo {
  return {
    id: `id-${name}`,
    name: `shop-${name}-1`,
    service: name,
    project: "shop",
    labels: {},
    env: {},
    image: `image-of-${name}`,
    running: true,
    state: "running",
    mounts: [],
    ...extra,
  };
}

export class FakeDocker implements Engine, VolumeLister, ContainerControl, Sandbox {
  readonly calls: string[] = [];
  readonly removed: string[] = [];
  /** Bytes written to exec stdouts: an aborted exec stops writing. */
  bytesStreamed = 0;
  #next = 0;

  constructor(
    readonly containers: ContainerInfo[],
    readonly handler: ExecHandler,
    readonly volumes: VolumeInfo[] = [],
  ) {}

  async listContainers(label: string | undefined, project?: string): Promise<ContainerInfo[]> {
    const [key, value] = label?.includes("=") ? label.split("=", 2) : [label, undefined];
    const carries = (c: ContainerInfo) => key === undefined || (value === undefined ? key in c.labels : c.labels[key] === value);
    return this.containers.filter((c) => carries(c) && (!project || c.project === project));
  }

  async inspect(idOrName: string): Promise<ContainerInfo | undefined> {
    return this.containers.find((c) => c.id === idOrName || c.name === idOrName);
  }

  async inspectStarted(idOrName: string): Promise<{ id: string; running: boolean; started: string } | undefined> {
    const c = await this.inspect(idOrName);
    return c ? { id: c.id, running: c.running, started: "2026-01-01T00:00:00Z" } : undefined;
  }

  async exec(id: string, cmd: readonly string[], stdout: Writable, options: ExecOptions): Promise<ExecResult> {
    const reply = await this.#answer(id, cmd, options);
    const data = Buffer.from(reply.stdout ?? "");
    for (let i = 0; i < data.length; i += 65536) {
      options.signal.throwIfAborted();
      this.bytesStreamed += Math.min(65536, data.length - i);
      if (!stdout.write(data.subarray(i, i + 65536))) await once(stdout, "drain", { signal: options.signal });
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { exitCode: reply.exitCode, stderr: reply.stderr ?? "" };
  }

  async execText(id: string, cmd: readonly string[], options: ExecOptions): Promise<ExecResult & { stdout: string }> {
    const reply = await this.#answer(id, cmd, options);
    return { exitCode: reply.exitCode, stdout: String(reply.stdout ?? ""), stderr: reply.stderr ?? "" };
  }

  async getArchive(): Promise<NodeJS.ReadableStream> {
    throw new Error("the fake engine has no archives");
  }

  async listVolumes(project?: string): Promise<VolumeInfo[]> {
    return this.volumes.filter((v) => !project || v.labels["com.docker.compose.project"] === project);
  }

  async stop(id: string): Promise<void> {
    this.calls.push(`stop ${id}`);
  }

  async start(id: string): Promise<void> {
    this.calls.push(`start ${id}`);
  }

  async usersOf(volume: string): Promise<{ id: string; name: string }[]> {
    return this.containers.filter((c) => c.running && c.mounts?.some((m) => m.name === volume)).map((c) => ({ id: c.id, name: c.name }));
  }

  async createThrowaway(spec: ThrowawaySpec): Promise<string> {
    const id = `throwaway-${++this.#next}`;
    this.containers.push({ ...container(spec.name), id, name: spec.name, image: spec.image, labels: spec.labels, env: envOf(spec.env), project: undefined });
    this.calls.push(`create ${spec.name} from ${spec.image}`);
    return id;
  }

  async remove(id: string): Promise<void> {
    const at = this.containers.findIndex((c) => c.id === id);
    if (at >= 0) this.containers.splice(at, 1);
    this.removed.push(id);
  }

  async listLabelled(label: string): Promise<LabelledContainer[]> {
    return (await this.listContainers(label)).map((c) => ({ id: c.id, name: c.name, image: c.image, labels: c.labels, created: new Date() }));
  }

  async openExec(): Promise<ExecSession> {
    throw new Error("the fake engine has no interactive execs: build the kind without row counts");
  }

  async execWithStdin(id: string, cmd: readonly string[], input: Readable, options: ExecOptions): Promise<ExecResult & { stdout: string }> {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(chunk as Buffer);
    const reply = await this.#answer(id, cmd, options, Buffer.concat(chunks));
    return { exitCode: reply.exitCode, stdout: String(reply.stdout ?? ""), stderr: reply.stderr ?? "" };
  }

  async #answer(id: string, cmd: readonly string[], options: ExecOptions, stdin?: Buffer): Promise<ExecReply> {
    options.signal.throwIfAborted();
    const c = await this.inspect(id);
    if (!c) throw new Error(`no such container: ${id}`);
    this.calls.push(`exec ${c.service} ${cmd.join(" ")}`);
    return this.handler({ container: c, cmd, env: envOf(options.env ?? []), stdin });
  }
}

function envOf(list: readonly string[]): Record<string, string> {
  return Object.fromEntries(list.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}

/** A RunContext for one job run in a unit test, with a silent logger unless one is given. */
export function runContext(job: RunContext["job"], extra: Partial<RunContext> = {}): RunContext {
  return {
    runId: `run-${job}`,
    job,
    flags: new Set<string>(),
    signal: AbortSignal.timeout(20_000),
    log: pino({ level: "silent" }),
    startedAt: new Date(),
    ...extra,
  };
}
