// Meilisearch's snapshot and task API over undici. Every answer is checked; every failure is a
// MeilisearchError that names the target and says what to fix. The key is sent, never shown.
import { formatDuration } from "../../config/duration.js";
import type { Secret } from "../../config/secret.js";
import { MeilisearchError } from "./errors.js";

export const TASK_STATUSES = ["enqueued", "processing", "succeeded", "failed", "canceled"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface MeiliTaskError {
  message: string;
  code: string;
  type?: string;
  link?: string;
}

/** The fields of `GET /tasks/{uid}` the agent reads. */
export interface MeiliTask {
  uid: number;
  status: TaskStatus;
  type?: string;
  error: MeiliTaskError | null;
  canceledBy?: number | null;
  enqueuedAt?: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  duration?: string | null;
}

/** The narrow view of Meilisearch a snapshot needs. */
export interface MeiliApi {
  /** `POST /snapshots`: enqueues a snapshot task and returns its uid. */
  createSnapshot(signal: AbortSignal): Promise<number>;
  /** `GET /tasks/{uid}`: the task as it is now. */
  getTask(uid: number, signal: AbortSignal): Promise<MeiliTask>;
}

export interface MeiliClientOptions {
  /** The target's name, for messages. */
  target: string;
  url: string;
  apiKey: Secret | undefined;
  /** Where the key came from, for the message of a refused key. */
  keySource: string;
  /** Time limit of one request (default 30 s). */
  requestTimeoutMs?: number;
}

const TRANSPORT_HINTS: Record<string, string> = {
  ECONNREFUSED: "connection refused: is Meilisearch running and listening there?",
  ENOTFOUND:
    "the host name does not resolve: the agent must share a Docker network with the container, or set label backup-agent.meilisearch.url",
  EAI_AGAIN: "the host name could not be resolved (DNS answered nothing in time)",
  ECONNRESET: "the connection was reset",
  EHOSTUNREACH: "the host is unreachable",
  UND_ERR_SOCKET: "the connection closed before an answer",
};

export class MeiliHttpClient implements MeiliApi {
  readonly #options: MeiliClientOptions;

  constructor(options: MeiliClientOptions) {
    this.#options = options;
  }

  async createSnapshot(signal: AbortSignal): Promise<number> {
    const body = await this.#call("POST", "/snapshots", signal);
    const uid = (body as { taskUid?: unknown }).taskUid;
    if (typeof uid !== "number")
      throw this.#fail(`POST /snapshots answered without a taskUid: ${clip(body)}`);
    return uid;
  }

  async getTask(uid: number, signal: AbortSignal): Promise<MeiliTask> {
    const body = (await this.#call("GET", `/tasks/${uid}`, signal)) as Partial<MeiliTask>;
    if (!TASK_STATUSES.includes(body.status as TaskStatus) || body.uid !== uid) {
      throw this.#fail(`GET /tasks/${uid} answered with something that is not task ${uid}: ${clip(body)}`);
    }
    return { ...body, error: body.error ?? null } as MeiliTask;
  }

  async #call(method: "GET" | "POST", path: string, signal: AbortSignal): Promise<unknown> {
    const { url, apiKey, requestTimeoutMs = 30_000 } = this.#options;
    const what = `${method} ${path}`;
    const headers: Record<string, string> = { accept: "application/json" };
    if (apiKey) headers.authorization = `Bearer ${apiKey.reveal()}`;
    const timeout = AbortSignal.timeout(requestTimeoutMs);
    let status: number;
    let text: string;
    try {
      // undici loads with the first Meilisearch request: runs without Meilisearch targets never load it.
      const { request } = await import("undici");
      const response = await request(`${url}${path}`, {
        method,
        headers,
        signal: AbortSignal.any([signal, timeout]),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      signal.throwIfAborted();
      if (timeout.aborted) {
        throw this.#fail(`${what}: no answer from ${url} within ${formatDuration(requestTimeoutMs)}`, {
          cause: error,
          timedOut: true,
        });
      }
      const code = errorCode(error);
      const hint = (code && TRANSPORT_HINTS[code]) ?? (error as Error).message;
      throw this.#fail(`${what}: cannot reach ${url} (${code ?? "error"}): ${hint}`, { cause: error });
    }
    const body = parseJson(text);
    if (status >= 200 && status < 300) {
      if (typeof body !== "object" || body === null)
        throw this.#fail(
          `${what} answered ${status} with something that is not a JSON object: ${clip(text)}`,
          {
            status,
          },
        );
      return body;
    }
    throw this.#httpError(what, status, body, text);
  }

  #httpError(what: string, status: number, body: unknown, text: string): MeilisearchError {
    const { code, message } = (body ?? {}) as { code?: unknown; message?: unknown };
    const said =
      typeof code === "string"
        ? `${status} ${code}${typeof message === "string" ? ` (${message})` : ""}`
        : `${status} ${clip(text) || "(empty body)"}`;
    const details = { status, code: typeof code === "string" ? code : undefined };
    if (status === 401) {
      const why = this.#options.apiKey
        ? "the key was not accepted"
        : "no API key was sent: set BACKUP_MEILI_API_KEY (or _FILE), or MEILI_MASTER_KEY in the container";
      return this.#fail(`${what} was refused: ${said}: ${why}`, details);
    }
    if (status === 403) {
      return this.#fail(
        `${what} was refused: ${said}: the API key from ${this.#options.keySource} is wrong or lacks the snapshots.create and tasks.get actions`,
        details,
      );
    }
    if (status >= 500) {
      return this.#fail(`${what}: Meilisearch failed with ${said}; see its logs`, details);
    }
    return this.#fail(`${what} answered ${said}`, details);
  }

  #fail(message: string, options: ConstructorParameters<typeof MeilisearchError>[1] = {}): MeilisearchError {
    const { target, apiKey } = this.#options;
    // Whatever a server echoes back, the key itself never reaches a message.
    const key = apiKey?.reveal() ?? "";
    const safe = key.length >= 4 ? message.split(key).join("[redacted]") : message;
    return new MeilisearchError(`meilisearch target "${target}": ${safe}`, { ...options, target });
  }
}

function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; errors?: { code?: unknown }[]; cause?: { code?: unknown } };
  const code = e.code ?? e.errors?.[0]?.code ?? e.cause?.code;
  return typeof code === "string" ? code : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function clip(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return (text ?? "").replace(/\s+/g, " ").trim().slice(0, 300);
}
