import pino from "pino";
import { describe, expect, it } from "vitest";
import type { ContainerInfo, ExecOptions } from "../../../src/docker/engine.js";
import { renderError } from "../../../src/core/errors.js";
import { describeHooks, guardEachByContainerHooks } from "../../../src/targets/hooks.js";

const log = pino({ level: "silent" });

function container(labels: Record<string, string>, running = true): ContainerInfo {
  return {
    id: "id-db",
    name: "shop-db-1",
    service: "db",
    project: "shop",
    labels,
    env: {},
    image: "img",
    running,
    state: running ? "running" : "exited",
  };
}

/** A container whose commands answer with the exit code the script gives (or never, for "hang"). */
function fakeEngine(script: Record<string, number | "hang">) {
  const calls: { command: string; user: string | undefined }[] = [];
  return {
    calls,
    engine: {
      async execText(_id: string, cmd: readonly string[], options: ExecOptions) {
        const command = cmd[2] as string;
        calls.push({ command, user: options.user });
        const answer = script[command] ?? 0;
        if (answer === "hang") {
          await new Promise((_, reject) =>
            options.signal.addEventListener("abort", () => reject(options.signal.reason), { once: true }),
          );
        }
        return { exitCode: answer as number, stdout: "", stderr: answer === 0 ? "" : "ERROR 1045: access denied" };
      },
    },
  };
}

const run = () => ({ signal: new AbortController().signal, log });

/** The one-container guard around `body` for target "db"; rejects with the target's failure. */
async function withHooks(
  engine: ReturnType<typeof fakeEngine>["engine"],
  hookTimeoutMs: number,
  c: ContainerInfo,
  r: { signal: AbortSignal; log: typeof log },
  body: () => Promise<void>,
): Promise<void> {
  const deps = { engine, hookTimeoutMs, describe: (n: string) => `exec target "${n}"` };
  const [error] = await guardEachByContainerHooks(deps, [{ name: "db", container: c }], 1, r, body);
  if (error) throw error;
}

describe("pre- and post-hooks", () => {
  it("runs the pre-hook, the backup and the post-hook in that order, as the labelled user", async () => {
    const { engine, calls } = fakeEngine({});
    const order: string[] = [];
    const c = container({
      "backup-agent.hook.pre": "mysql -e 'FLUSH TABLES'",
      "backup-agent.hook.post": "echo done",
      "backup-agent.hook.user": "mysql",
    });
    await withHooks(engine, 1_000, c, run(), async () => {
      order.push(`backup after ${calls.length} hook(s)`);
    });
    expect(order).toEqual(["backup after 1 hook(s)"]);
    expect(calls).toEqual([
      { command: "mysql -e 'FLUSH TABLES'", user: "mysql" },
      { command: "echo done", user: "mysql" },
    ]);
  });

  it("fails the target when the pre-hook fails, skips the backup and still runs the post-hook", async () => {
    const { engine, calls } = fakeEngine({ "lock tables": 1 });
    let backedUp = false;
    const c = container({ "backup-agent.hook.pre": "lock tables", "backup-agent.hook.post": "unlock tables" });
    const error = await withHooks(engine, 1_000, c, run(), async () => {
      backedUp = true;
    }).catch((e: unknown) => e as Error);
    expect(backedUp).toBe(false);
    expect(calls.map((c) => c.command)).toEqual(["lock tables", "unlock tables"]);
    expect(renderError(error)).toBe(
      'exec target "db" was not backed up: pre-hook in container shop-db-1 exited 1: ERROR 1045: access denied',
    );
  });

  it("runs the post-hook when the backup fails, and reports both failures", async () => {
    const { engine, calls } = fakeEngine({ resume: 2 });
    const c = container({ "backup-agent.hook.pre": "pause", "backup-agent.hook.post": "resume" });
    const error = await withHooks(engine, 1_000, c, run(), async () => {
      throw new Error("the dump command exited 1");
    }).catch((e: unknown) => e as Error);
    expect(calls.map((c) => c.command)).toEqual(["pause", "resume"]);
    const text = renderError(error);
    expect(text).toContain("the dump command exited 1");
    expect(text).toContain('exec target "db": post-hook in container shop-db-1 exited 2: ERROR 1045: access denied');
  });

  it("stops waiting for a pre-hook at its labelled timeout and names it", async () => {
    const { engine, calls } = fakeEngine({ "sleep 3600": "hang" });
    const c = container({
      "backup-agent.hook.pre": "sleep 3600",
      "backup-agent.hook.post": "true",
      "backup-agent.hook.timeout": "50ms",
    });
    const error = await withHooks(engine, 60_000, c, run(), async () => {
      throw new Error("not reached");
    }).catch((e: unknown) => e as Error);
    expect(renderError(error)).toContain("pre-hook in container shop-db-1 did not finish within 0.05s");
    expect(calls.map((c) => c.command)).toEqual(["sleep 3600", "true"]);
  });

  it("runs the post-hook even when the run was aborted", async () => {
    const { engine, calls } = fakeEngine({});
    const controller = new AbortController();
    const c = container({ "backup-agent.hook.post": "resume" });
    await withHooks(engine, 1_000, c, { signal: controller.signal, log }, async () => {
      controller.abort(new Error("SIGTERM"));
      throw new Error("aborted");
    }).catch(() => undefined);
    expect(calls.map((c) => c.command)).toEqual(["resume"]);
  });

  it("refuses a bad timeout label, naming the label and the value, without running anything", async () => {
    const { engine, calls } = fakeEngine({});
    const c = container({ "backup-agent.hook.pre": "true", "backup-agent.hook.timeout": "soon" });
    expect(describeHooks(c, 1_000)?.problems).toEqual([
      'label backup-agent.hook.timeout: expected a duration such as "90s", "5m", "6h" or "1d"; got "soon"',
    ]);
    const error = await withHooks(engine, 1_000, c, run(), async () => {
      throw new Error("not reached");
    }).catch((e: unknown) => e as Error);
    expect(renderError(error)).toContain("was not backed up: hooks of container shop-db-1: label backup-agent.hook.timeout");
    expect(calls).toEqual([]);
  });

  it("skips the hooks of a container that is not running (nothing to flush)", async () => {
    const { engine, calls } = fakeEngine({});
    const c = container({ "backup-agent.hook.pre": "flush", "backup-agent.hook.post": "resume" }, false);
    let backedUp = false;
    await withHooks(engine, 1_000, c, run(), async () => {
      backedUp = true;
    });
    expect(backedUp).toBe(true);
    expect(calls).toEqual([]);
  });
});
