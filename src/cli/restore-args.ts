// Parses `restore postgres <service> [--database D] [--snapshot ID | --at TIME] [--yes]`,
// `restore volume <name> [--snapshot ID | --at TIME] (--to DIR | --into-volume) [--yes]` and
// `restore all --at TIME [--yes]` (also `restore --at TIME [--yes]`).
export interface PostgresRestoreArgs {
  kind: "postgres";
  service: string;
  database?: string;
  snapshot?: string;
  at?: Date;
  yes: boolean;
}

export interface VolumeRestoreArgs {
  kind: "volume";
  volume: string;
  snapshot?: string;
  at?: Date;
  /** Restore into this directory (which must be empty or missing). */
  to?: string;
  /** Restore into the live volume, replacing its contents exactly. */
  intoVolume: boolean;
  yes: boolean;
}

export interface AllRestoreArgs {
  kind: "all";
  at: Date;
  yes: boolean;
}

export type RestoreArgs = PostgresRestoreArgs | VolumeRestoreArgs | AllRestoreArgs;

interface Flags {
  yes: boolean;
  database?: string;
  snapshot?: string;
  at?: Date;
  to?: string;
  intoVolume: boolean;
}

/** The flags after the kind and name, or a message naming the first bad one. */
function parseFlags(rest: readonly string[], allowed: readonly string[]): Flags | string {
  const out: Flags = { yes: false, intoVolume: false };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    const [flag, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    if (!allowed.includes(flag)) return `restore: unexpected argument "${arg}"`;
    const value = () => {
      const v = inline ?? rest[++i];
      if (v === undefined || v === "") throw new Error(`${flag} needs a value`);
      return v;
    };
    try {
      if (flag === "--yes" && inline === undefined) out.yes = true;
      else if (flag === "--into-volume" && inline === undefined) out.intoVolume = true;
      else if (flag === "--database") out.database = value();
      else if (flag === "--snapshot") out.snapshot = value();
      else if (flag === "--to") out.to = value();
      else if (flag === "--at") {
        const text = value();
        const at = new Date(text);
        if (Number.isNaN(at.getTime()))
          return `restore: --at expects a time such as 2026-05-01T03:00:00Z; got "${text}"`;
        out.at = at;
      } else return `restore: unexpected argument "${arg}"`;
    } catch (error) {
      return `restore: ${(error as Error).message}`;
    }
  }
  if (out.snapshot && out.at) return "restore: give --snapshot or --at, not both";
  return out;
}

/** The parsed arguments, or a message naming the first bad one. */
export function parseRestoreArgs(args: readonly string[]): RestoreArgs | string {
  const [kind, name, ...rest] = args;
  if (kind === "all" || kind?.startsWith("--")) {
    const flags = parseFlags(kind === "all" ? args.slice(1) : args, ["--at", "--yes"]);
    if (typeof flags === "string") return flags;
    if (!flags.at) return "restore all: --at TIME is required (e.g. --at 2026-05-01T03:00:00Z)";
    return { kind: "all", at: flags.at, yes: flags.yes };
  }
  if (kind === "postgres") {
    if (!name || name.startsWith("-")) return "restore postgres: the service name is missing";
    const flags = parseFlags(rest, ["--yes", "--database", "--snapshot", "--at"]);
    if (typeof flags === "string") return flags;
    const { intoVolume: _i, to: _t, ...pg } = flags;
    return { kind, service: name, ...pg };
  }
  if (kind === "volume") {
    if (!name || name.startsWith("-")) return "restore volume: the volume name is missing";
    const flags = parseFlags(rest, ["--yes", "--snapshot", "--at", "--to", "--into-volume"]);
    if (typeof flags === "string") return flags;
    if (!flags.to === !flags.intoVolume)
      return "restore volume: give exactly one of --to DIR (a new or empty directory) or --into-volume (the live volume)";
    const { database: _d, ...volume } = flags;
    return { kind, volume: name, ...volume };
  }
  return `restore: unknown kind "${kind ?? ""}" (expected postgres, volume or all)`;
}
