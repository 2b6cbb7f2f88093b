// `backup-agent healthcheck`: asks the running daemon's /healthz (for Docker's HEALTHCHECK); reads only
// BACKUP_HTTP_LISTEN, so it needs no repository, password or Docker access.
import { DEFAULT_HTTP_LISTEN, listenAddress } from "../config/fields.js";
import { ConfigError } from "../core/errors.js";

const TIMEOUT_MS = 5_000;

/**
 * 0 when /healthz answers 200; 1 when it answers otherwise, not at all, or HTTP is off. A listen
 * address that is not one throws a ConfigError (exit 78), as for every other command.
 */
export async function healthcheckCommand(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parsed = listenAddress(DEFAULT_HTTP_LISTEN).safeParse(env.BACKUP_HTTP_LISTEN);
  if (!parsed.success) {
    const problem = parsed.error.issues[0]?.message ?? "invalid";
    throw new ConfigError([`BACKUP_HTTP_LISTEN: ${problem}; got ${JSON.stringify(env.BACKUP_HTTP_LISTEN)}`]);
  }
  if (!parsed.data) {
    process.stderr.write("healthcheck: BACKUP_HTTP_LISTEN=off: the daemon serves no /healthz to ask\n");
    return 1;
  }
  const { host, port } = parsed.data;
  // A wildcard listener is reached on loopback; an IPv6 literal needs brackets in a URL.
  const target = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  const url = `http://${target.includes(":") ? `[${target}]` : target}:${port}/healthz`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = await response.text();
    if (response.status === 200) {
      process.stdout.write(`healthcheck: ${url} 200\n`);
      return 0;
    }
    process.stderr.write(`healthcheck: ${url} answered ${response.status}: ${body.slice(0, 500)}\n`);
    return 1;
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    process.stderr.write(`healthcheck: ${url}: ${cause ?? (error as Error).message}\n`);
    return 1;
  }
}
