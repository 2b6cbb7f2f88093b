// / (the status page, HTML), /metrics (Prometheus text), /healthz (the daemon answers and its
// scheduler runs), /status (the backups' health as JSON, the same report as `backup-agent status --json`).
// GET and HEAD only: nothing served here changes anything.
import { logFailure, renderError } from "../core/errors.js";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { ListenAddress } from "../config/fields.js";
import { redact } from "../config/redact.js";
import type { Metrics } from "../report/metrics.js";
import { type PageDeps, servePage } from "./page.js";

export interface HttpDeps {
  metrics: Metrics;
  health: () => { ok: boolean; [key: string]: unknown };
  /** The status report; answered 200 whatever its level (the level is in the body). */
  status?: () => Promise<unknown>;
  /** The status page at `/`. */
  page?: Omit<PageDeps, "log">;
  log: Logger;
}

export async function startHttp(address: ListenAddress, deps: HttpDeps): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://agent").pathname;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
    } else if (path === "/" && deps.page) {
      servePage(res, { ...deps.page, log: deps.log });
    } else if (path === "/metrics") {
      deps.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": deps.metrics.registry.contentType }).end(redact(text)),
        (error: unknown) => {
          logFailure(deps.log, "collecting metrics failed", error);
          res.writeHead(500).end();
        },
      );
    } else if (path === "/healthz") {
      const health = deps.health();
      res
        .writeHead(health.ok ? 200 : 503, { "content-type": "application/json" })
        .end(redact(JSON.stringify(health)));
    } else if (path === "/status" && deps.status) {
      deps.status().then(
        (report) => res.writeHead(200, { "content-type": "application/json" }).end(redact(JSON.stringify(report))),
        (error: unknown) => {
          logFailure(deps.log, "building the status report failed", error);
          res.writeHead(500, { "content-type": "text/plain" }).end(redact(`status failed: ${renderError(error)}\n`));
        },
      );
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /, /metrics, /healthz or /status\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  deps.log.info({ address: `${bound.address}:${bound.port}` }, "serving the status page, /metrics, /healthz and /status");
  return server;
}
