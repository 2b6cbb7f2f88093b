import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Secret } from "../../../src/config/secret.js";
import { Healthchecks } from "../../../src/report/healthchecks.js";

let server: Server | undefined;
afterEach(() => server?.closeAllConnections());

/** A ping endpoint that answers each request with the next behaviour in the list. */
async function endpoint(behaviours: ("ok" | "500" | "hang")[]) {
  const seen: { url: string; body: string }[] = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ url: req.url ?? "", body });
      const next = behaviours.shift() ?? "ok";
      if (next === "ok") res.end("OK");
      else if (next === "500") res.writeHead(500).end("busy");
    });
  });
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/abc-uuid`, seen };
}

describe("Healthchecks", () => {
  it("sends start with the rid, and fail with the body", async () => {
    const { url, seen } = await endpoint([]);
    const hc = new Healthchecks({ timeoutMs: 2000, retries: 2, log: pino({ level: "silent" }) });
    hc.ping("check", new Secret(url), "start", "rid-1");
    hc.ping("check", new Secret(url), "fail", "rid-1", "the error");
    await hc.flush();
    expect(seen.map((s) => s.url).sort()).toEqual(["/abc-uuid/fail?rid=rid-1", "/abc-uuid/start?rid=rid-1"]);
    expect(seen.find((s) => s.url.includes("fail"))?.body).toBe("the error");
  });

  it("retries a failed ping with backoff until it gets through", async () => {
    const { url, seen } = await endpoint(["500", "500", "ok"]);
    const hc = new Healthchecks({ timeoutMs: 2000, retries: 3, log: pino({ level: "silent" }) });
    hc.ping("check", new Secret(url), "success", "rid-2", "log tail");
    await hc.flush();
    expect(seen).toHaveLength(3);
    expect(seen.every((s) => s.url === "/abc-uuid?rid=rid-2" && s.body === "log tail")).toBe(true);
  });

  it("gives up quietly on a ping endpoint that never answers", async () => {
    const { url } = await endpoint(["hang", "hang"]);
    const gaveUp = vi.fn();
    const hc = new Healthchecks({
      timeoutMs: 300,
      retries: 1,
      log: pino({ level: "silent" }),
      onGiveUp: gaveUp,
    });
    hc.ping("check", new Secret(url), "start", "rid-3");
    await vi.waitFor(() => expect(gaveUp).toHaveBeenCalledWith("check", "start"), { timeout: 10_000 });
  });

  it("ends every hung ping within its budget, logs each one, and flush waits for all of them", async () => {
    const { url } = await endpoint(["hang", "hang", "hang", "hang"]);
    const lines: string[] = [];
    const log = pino({ level: "warn" }, { write: (line: string) => void lines.push(line) });
    const hc = new Healthchecks({ timeoutMs: 300, retries: 1, log });
    hc.ping("backup", new Secret(url), "start", "rid-4");
    hc.ping("backup", new Secret(url), "fail", "rid-4", "tail");
    const started = Date.now();
    await hc.flush();
    const waited = Date.now() - started;
    expect(lines.filter((l) => l.includes("healthchecks start ping of backup failed"))).toHaveLength(1);
    expect(lines.filter((l) => l.includes("healthchecks fail ping of backup failed"))).toHaveLength(1);
    expect(lines.join("")).not.toContain("abc-uuid");
    // The budget is timeout × (retries + 1) = 0.6 s per ping; flush itself adds at most 1 s.
    expect(waited).toBeLessThan(hc.budgetMs + 1_000);
  });
});

