// Who made a throwaway container: an identity that survives container recreation and that can be
// checked. Hostname and pid repeat across containers (every `compose run` container is pid 7 under
// its own new hostname), so the owner is the agent's own container (id and start time, asked of the
// engine) when it runs in one, else the host's boot id; plus its pid and that process's start time.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { Engine } from "./engine.js";

export interface Owner {
  /** The agent's container, when it runs in one. */
  container?: string;
  /** When that container was started (a restarted container runs a new agent). */
  containerStarted?: string;
  /** The host's boot id, when the agent runs on the host. */
  boot?: string;
  pid: number;
  /** The process's start time (clock ticks since boot), so a reused pid is not taken for the agent. */
  pidStarted: string;
}

const FIELDS = { container: "c", containerStarted: "cs", boot: "b", pid: "p", pidStarted: "ps" } as const;

/** The label value: `c=<id>;cs=<time>;p=<pid>;ps=<ticks>` (or `b=<boot id>` instead of c and cs). */
export function formatOwner(o: Owner): string {
  return Object.entries(FIELDS)
    .flatMap(([key, short]) => {
      const v = o[key as keyof Owner];
      return v === undefined ? [] : [`${short}=${v}`];
    })
    .join(";");
}

/** The owner in a label value, or undefined for a value that is not one. */
export function parseOwner(label: string): Owner | undefined {
  const fields = Object.fromEntries(label.split(";").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  const pid = Number(fields.p);
  if (!Number.isSafeInteger(pid) || pid <= 0 || !fields.ps || (!fields.c && !fields.b)) return undefined;
  return { container: fields.c, containerStarted: fields.cs, boot: fields.b, pid, pidStarted: fields.ps };
}

/** A process's start time from /proc (field 22 of stat), or undefined when there is no such process. */
export function processStarted(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function bootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "unknown";
  }
}

/** The id of the container this process runs in, from the engine or the mounts Docker made for it. */
export async function ownContainer(engine: Pick<Engine, "inspectStarted">): Promise<{ id: string; started: string } | undefined> {
  const byHostname = await engine.inspectStarted(hostname()).catch(() => undefined);
  if (byHostname) return byHostname;
  let mountinfo = "";
  try {
    mountinfo = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return undefined;
  }
  const id = /\/containers\/([0-9a-f]{64})\//.exec(mountinfo)?.[1];
  return id ? engine.inspectStarted(id).catch(() => undefined) : undefined;
}

let self: Promise<Owner> | undefined;

/** This agent process as an owner (worked out once). */
export function selfOwner(engine: Pick<Engine, "inspectStarted">): Promise<Owner> {
  self ??= (async () => {
    const container = await ownContainer(engine);
    const pidStarted = processStarted(process.pid) ?? "unknown";
    return container
      ? { container: container.id, containerStarted: container.started, pid: process.pid, pidStarted }
      : { boot: bootId(), pid: process.pid, pidStarted };
  })();
  return self;
}

/**
 * Whether the owner still runs: "gone" when it certainly does not (its container is gone, stopped or
 * restarted, or its process is), "alive" when it certainly does, "unknown" when it cannot be told
 * from here (a host process seen from a container).
 */
export async function ownerState(owner: Owner, me: Owner, engine: Pick<Engine, "inspectStarted">): Promise<"alive" | "gone" | "unknown"> {
  const sameProcessSpace = owner.container ? owner.container === me.container : owner.boot !== undefined && owner.boot === me.boot;
  if (sameProcessSpace) {
    if (owner.pid === me.pid && owner.pidStarted === me.pidStarted) return "alive";
    return processStarted(owner.pid) === owner.pidStarted ? "alive" : "gone";
  }
  if (owner.container) {
    const c = await engine.inspectStarted(owner.container).catch(() => undefined);
    return c?.running && c.started === owner.containerStarted ? "alive" : "gone";
  }
  // A host process seen from a container, or from a host that has rebooted since.
  return owner.boot !== undefined && me.boot !== undefined ? "gone" : "unknown";
}
