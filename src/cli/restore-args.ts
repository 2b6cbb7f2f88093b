// Parses `restore postgres <service> [--database D] [--snapshot ID | --at TIME] [--yes]`.
export interface RestoreArgs {
  kind: "postgres";
  service: string;
  database?: string;
  snapshot?: string;
  at?: Date;
  yes: boolean;
}

/** The parsed arguments, or a message naming the first bad one. */
export function parseRestoreArgs(args: readonly string[]): RestoreArgs | string {
  const [kind, service, ...rest] = args;
  if (kind !== "postgres") return `restore: unknown kind "${kind ?? ""}" (expected postgres)`;
  if (!service || service.startsWith("-")) return "restore postgres: the service name is missing";
  const out: RestoreArgs = { kind, service, yes: false };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    const [flag, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    const value = () => {
      const v = inline ?? rest[++i];
      if (v === undefined || v === "") throw new Error(`${flag} needs a value`);
      return v;
    };
    try {
      if (flag === "--yes" && inline === undefined) out.yes = true;
      else if (flag === "--database") out.database = value();
      else if (flag === "--snapshot") out.snapshot = value();
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
