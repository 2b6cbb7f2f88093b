// `backup-agent healthcheck` (the image's HEALTHCHECK): healthy only when the daemon's /healthz says 200.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { healthcheckCommand } from "../../../src/cli/healthcheck.js";
import { ConfigError, exitCodeFor } from "../../../src/core/errors.js";

let server: Server | undefined;

async function serve(status: number): Promise<number> {
  server = createServer((req, res) => {
    res.writeHead(req.url === "/healthz" ? status : 404).end(JSON.stringify({ ok: status === 200 }));
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return (server?.address() as AddressInfo).port;
}

afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe("healthcheck", () => {
  it("exits 0 when /healthz answers 200 on the listen address, asked on loopback for a wildcard", async () => {
    vi.spyOn(process.stdout, "write").mockReturnValue(true);
    const port = await serve(200);
    expect(await healthcheckCommand({ BACKUP_HTTP_LISTEN: `0.0.0.0:${port}` })).toBe(0);
  });

  it("exits 1 naming the answer when the daemon is stopping (503)", async () => {
    const stderr = vi.spyOn(process.stderr, "write").mockReturnValue(true);
    const port = await serve(503);
    expect(await healthcheckCommand({ BACKUP_HTTP_LISTEN: `127.0.0.1:${port}` })).toBe(1);
    expect(String(stderr.mock.calls[0]?.[0])).toContain("answered 503");
  });

  it("exits 1 when nothing listens, and when HTTP is off", async () => {
    const stderr = vi.spyOn(process.stderr, "write").mockReturnValue(true);
    const port = await serve(200);
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    expect(await healthcheckCommand({ BACKUP_HTTP_LISTEN: `127.0.0.1:${port}` })).toBe(1);
    expect(await healthcheckCommand({ BACKUP_HTTP_LISTEN: "off" })).toBe(1);
    expect(stderr.mock.calls.map((c) => String(c[0])).join("")).toMatch(/ECONNREFUSED[\s\S]*off/);
  });

  it("throws a configuration error (exit 78) naming the variable for a listen address it could never reach", async () => {
    for (const [listen, expected] of [
      [":10080", 'BACKUP_HTTP_LISTEN: expected a port that HTTP clients may use: fetch() refuses port 10080'],
      [":0", 'BACKUP_HTTP_LISTEN: expected a port from 1 to 65535; got ":0"'],
      ["nonsense", 'got "nonsense"'],
    ] as const) {
      const error = await healthcheckCommand({ BACKUP_HTTP_LISTEN: listen }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect(exitCodeFor(error)).toBe(78);
      expect((error as ConfigError).problems[0]).toContain(expected);
    }
  });
});

