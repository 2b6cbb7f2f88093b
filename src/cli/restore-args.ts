// Parses `restore postgres <service> [--database D] [--snapshot ID | --at TIME] [--to-container NAME] [--from R] [--yes]`,
// `restore volume <name> [--snapshot ID | --at TIME] (--to DIR | --into-volume) [--from R] [--yes]` and
// `restore all [--at TIME] [--from R] [--yes]` (also `restore --at TIME …`); R is local or offsite.

/** Which repository a restore reads: the local one (default) or the offsite copy. */
export type RestoreSource = "local" | "offsite";

export interface PostgresRestoreArgs {
  kind: "postgres";
  service: string;
  database?: string;
  snapshot?: string;
  at?: Date;
  /** Point-in-time recovery into a new container of this name (a target with PITR). */
  toContainer?: string;
  from: RestoreSource;
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
  from: RestoreSource;
  yes: boolean;
}

export interface AllRestoreArgs {
  kind: "all";
  /** The newest backup of each target at or before this time; undefined: the newest of each. */
  at?: Date;
  from: RestoreSource;
  yes: boolean;
}

export type RestoreArgs = PostgresRestoreArgs | VolumeRestoreArgs | AllRestoreArgs;

interface Flags {
  yes: boolean;
  from: RestoreSource;
  database?: string;
  snapshot?: string;
  at?: Date;
  to?: string;
  toContainer?: string;
  intoVolume: boolean;
}

/** RFC 3339 date-time: a date, "T" (or a space), a time and "Z" or an offset: 2026-05-01T03:00:00+02:00. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * A full RFC 3339 date-time, or why it is not one: no date that does not exist (30 February would
 * roll over into March), no bare number, no time in the future (the newest backup needs no --at).
 */
export function parseTime(text: string, now: Date): Date | string {
  const expected = "expects an RFC 3339 date-time with a time zone, such as 2026-05-01T03:00:00Z or 2026-05-01T05:00:00+02:00";
  const m = DATE_TIME.exec(text);
  if (!m) return expected;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const local = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const same = local.getUTCFullYear() === year && local.getUTCMonth() === month - 1 && local.getUTCDate() === day && local.getUTCHours() === hour && local.getUTCMinutes() === minute && local.getUTCSeconds() === second;
  if (!same) return `${expected}: ${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]} is not a time that exists`;
  const offsetHours = Number(m[10] ?? 0);
  const offsetMinutes = Number(m[11] ?? 0);
  if (offsetHours > 23 || offsetMinutes > 59) return `${expected}: the offset ${m[8]} does not exist`;
  const sign = m[9] === "-" ? -1 : 1;
  const at = new Date(local.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000 + Math.round(Number(m[7] ?? 0) * 1000));
  if (at.getTime() > now.getTime()) {
    return `expects a time in the past (it is now ${now.toISOString()}; leave --at out for the newest backup)`;
  }
  return at;
}

/** The flags after the kind and name, or a message naming the first bad one. */
function parseFlags(rest: readonly string[], allowed: readonly string[], now: Date): Flags | string {
  const out: Flags = { yes: false, intoVolume: false, from: "local" };
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
      else if (flag === "--to-container") {
        const name = value();
        if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) return `restore: --to-container expects a container name (letters, digits, _ . -); got "${name}"`;
        out.toContainer = name;
      }
      else if (flag === "--from") {
        const from = value();
        if (from !== "local" && from !== "offsite") return `restore: --from expects local or offsite; got "${from}"`;
        out.from = from;
      }
      else if (flag === "--at") {
        const text = value();
        const at = parseTime(text, now);
        if (typeof at === "string") return `restore: --at ${at}; got "${text}"`;
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
export function parseRestoreArgs(args: readonly string[], now = new Date()): RestoreArgs | string {
  const [kind, name, ...rest] = args;
  if (kind === "all" || kind?.startsWith("--")) {
    const flags = parseFlags(kind === "all" ? args.slice(1) : args, ["--at", "--from", "--yes"], now);
    if (typeof flags === "string") return flags;
    return { kind: "all", at: flags.at, from: flags.from, yes: flags.yes };
  }
  if (kind === "postgres") {
    if (!name || name.startsWith("-")) return "restore postgres: the service name is missing";
    const flags = parseFlags(rest, ["--yes", "--database", "--snapshot", "--at", "--from", "--to-container"], now);
    if (typeof flags === "string") return flags;
    const { intoVolume: _i, to: _t, ...pg } = flags;
    return { kind, service: name, ...pg };
  }
  if (kind === "volume") {
    if (!name || name.startsWith("-")) return "restore volume: the volume name is missing";
    const flags = parseFlags(rest, ["--yes", "--snapshot", "--at", "--to", "--into-volume", "--from"], now);
    if (typeof flags === "string") return flags;
    if (!flags.to === !flags.intoVolume)
      return "restore volume: give exactly one of --to DIR (a new or empty directory) or --into-volume (the live volume)";
    const { database: _d, toContainer: _c, ...volume } = flags;
    return { kind, volume: name, ...volume };
  }
  return `restore: unknown kind "${kind ?? ""}" (expected postgres, volume or all)`;
}
