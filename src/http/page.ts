// GET / : the status page as HTML, with headers that forbid any script, frame or form: the page
// only shows what the daemon knows and can never trigger or change anything.
import type { ServerResponse } from "node:http";
import type { Logger } from "pino";
import { logFailure, renderError } from "../core/errors.js";
import { escapeHtml } from "../report/html.js";
import { type PageData, renderPage } from "../report/page.js";

export interface PageDeps {
  data: () => Promise<PageData>;
  /** Replaces any secret value in the page's text. */
  redact: (text: string) => string;
  log: Logger;
}

const HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

export function servePage(res: ServerResponse, deps: PageDeps): void {
  deps.data().then(
    (data) => res.writeHead(200, HEADERS).end(renderPage(data, deps.redact)),
    (error: unknown) => {
      logFailure(deps.log, "building the status page failed", error);
      res.writeHead(500, HEADERS).end(`<!doctype html><title>status page failed</title><p>${escapeHtml(deps.redact(renderError(error)))}</p>\n`);
    },
  );
}
