// healthchecks.io pings: /start?rid=, then success or /fail with a body. Never blocks or fails a run.

import type { Logger } from "pino";
import type { RetryAgent } from "undici";
import type { Secret } from "../config/secret.js";

export type PingKind = "start" | "success" | "fail";

export interface HealthchecksOptions {
  timeoutMs: number;
  retries: number;
  log: Logger;
  /** Called once a ping has failed after every retry. */
  onGiveUp?: (job: string, kind: PingKind) => void;
}

export class Healthchecks {
  /** undici loads with the first ping: a run without pings never loads it. */
  #client: Promise<{ dispatcher: RetryAgent; request: typeof import("undici").request }> | undefined;
  readonly #pending = new Set<Promise<void>>();
  readonly #options: HealthchecksOptions;

  constructor(options: HealthchecksOptions) {
    this.#options = options;
  }

  async #connect() {
    const { Agent, RetryAgent, request } = await import("undici");
    const t = this.#options.timeoutMs;
    const dispatcher = new RetryAgent(
      new Agent({ connect: { timeout: t }, headersTimeout: t, bodyTimeout: t }),
      {
        maxRetries: this.#options.retries,
        minTimeout: 1000,
        maxTimeout: 10_000,
        timeoutFactor: 2,
        methods: ["POST"],
        errorCodes: [
          "ECONNRESET",
          "ECONNREFUSED",
          "ENOTFOUND",
          "ENETDOWN",
          "ENETUNREACH",
          "EHOSTDOWN",
          "EHOSTUNREACH",
          "EPIPE",
          "UND_ERR_SOCKET",
          "UND_ERR_CONNECT_TIMEOUT",
          "UND_ERR_HEADERS_TIMEOUT",
          "UND_ERR_BODY_TIMEOUT",
        ],
      },
    );
    return { dispatcher, request };
  }

  /**
   * Sends a ping in the background and returns at once. `check` is the check's URL; rid pairs
   * a start with its finish. The URL is a secret: it never reaches a log line.
   */
  ping(job: string, check: Secret | undefined, kind: PingKind, rid: string, body = ""): void {
    if (!check) return;
    const url = new URL(check.reveal());
    if (kind !== "success") url.pathname = `${url.pathname.replace(/\/$/, "")}/${kind}`;
    url.searchParams.set("rid", rid);
    const budget = this.budgetMs;
    const sent = this.#send(url, body, AbortSignal.timeout(budget)).catch((error: unknown) => {
      const code = (error as { code?: string }).code ?? (error as Error).name;
      this.#options.log.warn({ job, kind, code }, `healthchecks ${kind} ping of ${job} failed after retries (at most ${budget / 1000}s)`);
      this.#options.onGiveUp?.(job, kind);
    });
    this.#pending.add(sent);
    void sent.finally(() => this.#pending.delete(sent));
  }

  /** How long one ping may take, retries included: BACKUP_HC_TIMEOUT × (BACKUP_HC_RETRIES + 1). */
  get budgetMs(): number {
    return this.#options.timeoutMs * (this.#options.retries + 1);
  }

  async #send(url: URL, body: string, signal: AbortSignal): Promise<void> {
    this.#client ??= this.#connect();
    const { dispatcher, request } = await this.#client;
    const response = await request(url, {
      method: "POST",
      body,
      headers: { "content-type": "text/plain; charset=utf-8", "user-agent": "backup-agent" },
      dispatcher,
      signal,
    });
    await response.body.dump();
    if (response.statusCode >= 400) {
      throw Object.assign(new Error(`HTTP ${response.statusCode}`), { code: `HTTP_${response.statusCode}` });
    }
  }

  /**
   * Waits for the pings in flight (before a CLI run exits or the daemon stops). Each one ends, and a
   * failed one is logged, within its budget: this never waits longer than that.
   */
  async flush(): Promise<void> {
    const timer = new Promise<void>((resolve) => setTimeout(resolve, this.budgetMs + 1_000).unref());
    await Promise.race([Promise.allSettled([...this.#pending]), timer]);
  }

  async close(): Promise<void> {
    const client = await this.#client;
    await client?.dispatcher.close();
  }
}
