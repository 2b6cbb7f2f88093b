// The command lines of run, status, plan, snapshots and the commands that take nothing, parsed before
// any configuration is read: a wrong argument is a UsageError (exit 64) naming it and the usage.
import { registerUrlCredentials } from "../config/redact.js";
import { UsageError } from "../core/errors.js";
import { isJobName, JOB_NAMES, type JobFlags, type JobName, parseJobFlags } from "../core/job.js";

/** Commands without arguments refuse any (`check-config --strict` must not silently run unchecked). */
export function noArguments(command: string, args: readonly string[]): void {
  if (args.length > 0) throw new UsageError(`${command}: unexpected argument "${args[0]}" (usage: backup-agent ${command}, with no arguments)`);
}

export function parseRunArgs(args: readonly string[]): { job: JobName; flags: JobFlags } {
  const [name, ...rest] = args;
  const usage = `usage: run <job> [flags], with a job of ${JOB_NAMES.join(", ")}`;
  if (name === undefined) throw new UsageError(`run: which job? No job was named (${usage})`);
  if (!isJobName(name)) throw new UsageError(`run: unknown job "${name}" (${usage})`);
  const flags = parseJobFlags(name, rest);
  if (typeof flags === "string") throw new UsageError(`run: ${flags}`);
  return { job: name, flags };
}

export function parsePlanArgs(args: readonly string[]): { json: boolean } {
  for (const arg of args) if (arg !== "--json") throw new UsageError(`plan: unexpected argument "${arg}" (usage: plan [--json])`);
  return { json: args.includes("--json") };
}

export function parseSnapshotsArgs(args: readonly string[]): { target?: string; json: boolean } {
  const out: { target?: string; json: boolean } = { json: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--json") out.json = true;
    else if (arg === "--target" && args[i + 1] !== undefined && args[i + 1] !== "") out.target = args[++i];
    else if (arg.startsWith("--target=") && arg.length > "--target=".length) out.target = arg.slice("--target=".length);
    else throw new UsageError(`snapshots: unexpected argument "${arg}" (usage: snapshots [--target NAME] [--json])`);
  }
  return out;
}

export interface StatusArgs {
  json: boolean;
  standalone: boolean;
  /** The daemon to ask, without credentials; they travel in `authorization`. */
  url?: string;
  authorization?: string;
}

const STATUS_USAGE = "usage: status [--json] [--standalone | --url URL]";

export function parseStatusArgs(args: readonly string[]): StatusArgs {
  const out: StatusArgs = { json: false, standalone: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--json") out.json = true;
    else if (arg === "--standalone") out.standalone = true;
    else if (arg === "--url" || arg.startsWith("--url=")) Object.assign(out, daemonUrl(arg === "--url" ? args[++i] : arg.slice(6)));
    else throw new UsageError(`status: unexpected argument "${arg}" (${STATUS_USAGE})`);
  }
  if (out.standalone && out.url) throw new UsageError(`status: give --standalone or --url, not both (${STATUS_USAGE})`);
  return out;
}

/** `--url http://user:pw@host:9180`: fetch() refuses credentials in a URL, so they become a header. */
function daemonUrl(text: string | undefined): Pick<StatusArgs, "url" | "authorization"> {
  registerUrlCredentials(text);
  let url: URL | undefined;
  try {
    url = text ? new URL(text) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || !["http:", "https:"].includes(url.protocol)) {
    // "user:pw@host" is no URL, but what precedes its "@" is still a credential.
    const shown = text === undefined ? "nothing" : JSON.stringify(text.includes("@") ? `[redacted]${text.slice(text.lastIndexOf("@"))}` : text);
    throw new UsageError(`status: --url expects the daemon's http:// or https:// address (e.g. http://127.0.0.1:9180); got ${shown}`);
  }
  let authorization: string | undefined;
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    authorization = `Basic ${Buffer.from(`${user}:${decodeURIComponent(url.password)}`).toString("base64")}`;
    url.username = "";
    url.password = "";
  }
  return { url: url.toString().replace(/\/$/, ""), authorization };
}
