// What the daemon serves passes the one redaction: /metrics label values, /status reports, errors.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { forgetSecrets, registerSecret } from "../../../src/config/redact.js";
import { startHttp } from "../../../src/http/server.js";
import { Metrics } from "../../../src/report/metrics.js";

let server: Server | undefined;
afterEach(async () => {
  forgetSecrets();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

async function serve(status: () => Promise<unknown>): Promise<string> {
  const metrics = new Metrics(["check"], "test");
  metrics.jobRuns.inc({ job: "check", result: "leaked-into-a-label-0815" });
  server = await startHttp({ host: "127.0.0.1", port: 0 }, { metrics, log: pino({ level: "silent" }), health: () => ({ ok: true }), status });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("the HTTP server", () => {
  it("redacts a secret from /metrics label values and from the /status report", async () => {
    registerSecret("leaked-into-a-label-0815");
    const base = await serve(async () => ({ level: "WARNING", offsite: { error: "restic: rest:https://u:offsite-pw-1@h/ unreachable" } }));
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('backup_job_runs_total{job="check",result="[redacted]"} 1');
    const status = await (await fetch(`${base}/status`)).json();
    expect(status).toEqual({ level: "WARNING", offsite: { error: "restic: rest:https://u:[redacted]@h/ unreachable" } });
  });

  it("redacts a secret from the error a failed /status answers with", async () => {
    const base = await serve(async () => {
      throw new Error("cannot read rest:https://:status-pw-2@h/");
    });
    const text = await (await fetch(`${base}/status`)).text();
    expect(text).toBe("status failed: cannot read rest:https://:[redacted]@h/\n");
  });
});
