import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttp } from "../../../src/http/server.js";
import { Metrics } from "../../../src/report/metrics.js";
import type { PageData } from "../../../src/report/page.js";

const data: PageData = {
  status: { error: "no repository yet" },
  schedule: [],
  running: [],
  recent: [],
  repositories: { local: "/repository", offsite: undefined },
  host: "backup-agent",
  version: "test",
  now: new Date("2026-11-21T13:40:00Z"),
};
let base = "";
let close: () => Promise<void>;

beforeAll(async () => {
  const server = await startHttp(
    { host: "127.0.0.1", port: 0 },
    {
      metrics: new Metrics(["backup"], "test"),
      health: () => ({ ok: true }),
      log: pino({ level: "silent" }),
      page: { data: async () => data, redact: (t) => t.replaceAll("no repository", "[redacted]") },
    },
  );
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(() => close());

describe("the status page route", () => {
  it("serves the page at / as HTML that may run no script", async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    const body = await response.text();
    expect(body).toContain("[redacted] yet");
    expect(body).not.toContain("no repository");
  });

  it("answers HEAD without a body and refuses anything that is not GET or HEAD", async () => {
    const head = await fetch(`${base}/`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    for (const method of ["POST", "PUT", "DELETE"]) {
      const response = await fetch(`${base}/`, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, HEAD");
    }
  });
});
