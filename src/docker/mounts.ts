// Which of a container's mounts holds a path inside it, and that mount as a throwaway would mount it.
import type { MountInfo } from "./engine.js";
import type { ThrowawayMount } from "./sandbox.js";

/** The mount at `path` or at the nearest of its parents (optionally only a read-write one). */
export function mountHolding(mounts: readonly MountInfo[], path: string, options: { writable?: boolean } = {}): MountInfo | undefined {
  return mounts
    .filter((m) => (!options.writable || !m.readOnly) && (path === m.destination || path.startsWith(`${m.destination.replace(/\/$/, "")}/`)))
    .sort((a, b) => b.destination.length - a.destination.length)[0];
}

/** The same volume or host directory, mounted at the same place in a throwaway; undefined for other kinds (tmpfs). */
export function asThrowawayMount(m: MountInfo): ThrowawayMount | undefined {
  if (m.type === "volume" && m.name) return { type: "volume", source: m.name, target: m.destination };
  if (m.type === "bind" && m.source) return { type: "bind", source: m.source, target: m.destination };
  return undefined;
}
