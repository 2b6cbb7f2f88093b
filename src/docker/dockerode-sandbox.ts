// Sandbox over dockerode: throwaway containers with no network, and execs with stdin attached.
import { PassThrough, type Readable } from "node:stream";
import Docker from "dockerode";
import { BackupError } from "../core/errors.js";
import { attachExec } from "./attach-exec.js";
import type { Engine, ExecOptions, ExecResult } from "./engine.js";
import { formatOwner, selfOwner } from "./owner.js";
import { type ExecSession, OWNER_LABEL, type Sandbox, THROWAWAY_LABEL, type ThrowawaySpec } from "./sandbox.js";


export class DockerodeSandbox implements Sandbox {
  constructor(
    readonly docker: Docker = new Docker(),
    private readonly engine: Pick<Engine, "inspectStarted">,
  ) {}

  async createThrowaway(spec: ThrowawaySpec, signal: AbortSignal): Promise<string> {
    signal.throwIfAborted();
    const owner = formatOwner(await selfOwner(this.engine));
    const container = await this.docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Env: spec.env,
      Labels: spec.keep ? spec.labels : { ...spec.labels, [THROWAWAY_LABEL]: "true", [OWNER_LABEL]: owner },
      ...(spec.user ? { User: spec.user } : {}),
      ...(spec.cmd ? { Cmd: spec.cmd } : {}),
      ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
      HostConfig: {
        NetworkMode: "none",
        Tmpfs: spec.tmpfs,
        AutoRemove: false,
        // Only when there are mounts: the socket proxy refuses any container that asks for some.
        ...(spec.mounts?.length
          ? { Mounts: spec.mounts.map((m) => ({ Type: m.type, Source: m.source, Target: m.target, ReadOnly: m.readOnly ?? false })) }
          : {}),
      },
      abortSignal: signal,
    } as Docker.ContainerCreateOptions);
    try {
      await container.start({ abortSignal: signal } as object);
    } catch (error) {
      await this.remove(container.id).catch(() => undefined);
      throw error;
    }
    return container.id;
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (error) {
      const code = (error as { statusCode?: number }).statusCode;
      // 404: already gone; 409: removal already in progress.
      if (code !== 404 && code !== 409) throw error;
    }
  }

  async listLabelled(label: string) {
    const list = await this.docker.listContainers({ all: true, filters: { label: [label] } });
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? c.Id).replace(/^\//, ""),
      image: c.Image,
      labels: c.Labels ?? {},
      created: new Date(c.Created * 1000),
    }));
  }

  async openExec(id: string, cmd: readonly string[], options: ExecOptions): Promise<ExecSession> {
    const attached = await attachExec(this.docker, id, cmd, options, true);
    // stdin: what the caller writes goes to the exec; ending it half-closes the socket (EOF in the exec).
    const stdin = new PassThrough();
    stdin.pipe(attached.socket as unknown as NodeJS.WritableStream);
    const stdout = new PassThrough();
    attached.stdout.pipe(stdout);
    return { stdin, stdout, result: attached.result };
  }

  async execWithStdin(
    id: string,
    cmd: readonly string[],
    input: Readable,
    options: ExecOptions,
  ): Promise<ExecResult & { stdout: string }> {
    // A failed input must stop the exec, or it would wait for the rest of its stdin forever.
    const controller = new AbortController();
    const signal = AbortSignal.any([options.signal, controller.signal]);
    const session = await this.openExec(id, cmd, { ...options, signal });
    const chunks: Buffer[] = [];
    session.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    // The command may exit before reading all its input (pg_restore --exit-on-error): a broken pipe
    // then is not the failure; the exit code and stderr say what went wrong.
    let feedError: Error | undefined;
    const onInputError = (error: Error) => {
      feedError = error;
      controller.abort(error);
    };
    input.once("error", onInputError);
    input.pipe(session.stdin);
    let result: ExecResult;
    try {
      result = await session.result;
    } catch (error) {
      input.destroy();
      throw new BackupError(
        `${cmd[0]} in container ${id.slice(0, 12)}: ${(feedError ?? (error as Error)).message}`,
        {
          cause: feedError ?? error,
        },
      );
    } finally {
      input.off("error", onInputError);
    }
    // The command may exit before reading all its input (pg_restore --exit-on-error): drain the rest so
    // the producer is never blocked; the exit code and stderr say what went wrong.
    if (!input.readableEnded) {
      input.unpipe(session.stdin);
      input.resume();
    }
    if (result.exitCode === 0 && feedError) {
      throw new BackupError(`${cmd[0]}: its input failed: ${feedError.message}`, { cause: feedError });
    }
    return { ...result, stdout: Buffer.concat(chunks).toString() };
  }
}
