import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../../../src/config/secret.js";
import { MeiliHttpClient } from "../../../../src/targets/meilisearch/client.js";
import { MeilisearchError } from "../../../../src/targets/meilisearch/errors.js";
import { waitForTask } from "../../../../src/targets/meilisearch/task.js";

const KEY = "test-master-key-0123456789";
let server: Server | undefined;

/** A local HTTP server on 127.0.0.1 answering with `handler`; returns its base URL. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

const withKey = { apiKey: new Secret(KEY), keySource: "BACKUP_MEILI_API_KEY" };
function client(url: string, key: { apiKey: Secret | undefined; keySource: string } = withKey) {
  return new MeiliHttpClient({ target: "search", url, ...key, requestTimeoutMs: 2_000 });
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function failure(promise: Promise<unknown>): Promise<MeilisearchError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MeilisearchError);
  const e = error as MeilisearchError;
  expect(e.message).not.toContain(KEY);
  expect(inspect(e)).not.toContain(KEY);
  return e;
}

const signal = () => AbortSignal.timeout(5_000);

describe("the Meilisearch HTTP client", () => {
  it("sends the key as a Bearer token and follows a task from POST /snapshots to succeeded", async () => {
    const seen: string[] = [];
    let polls = 0;
    const url = await serve((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
      if (req.method === "POST" && req.url === "/snapshots") {
        json(res, 202, { taskUid: 12, indexUid: null, status: "enqueued", type: "snapshotCreation" });
      } else {
        polls++;
        const status = polls === 1 ? "enqueued" : polls === 2 ? "processing" : "succeeded";
        json(res, 200, { uid: 12, status, type: "snapshotCreation", error: null });
      }
    });
    const api = client(url);
    const uid = await api.createSnapshot(signal());
    const task = await waitForTask(api, uid, {
      target: "search",
      intervalMs: 10,
      timeoutMs: 2_000,
      signal: signal(),
    });
    expect(task.status).toBe("succeeded");
    expect(seen).toEqual([
      `POST /snapshots Bearer ${KEY}`,
      `GET /tasks/12 Bearer ${KEY}`,
      `GET /tasks/12 Bearer ${KEY}`,
      `GET /tasks/12 Bearer ${KEY}`,
    ]);
  });

  it("says no key was sent when Meilisearch answers 401 missing_authorization_header", async () => {
    const url = await serve((_req, res) =>
      json(res, 401, {
        message: "The Authorization header is missing. It must use the bearer authorization method.",
        code: "missing_authorization_header",
        type: "auth",
        link: "https://docs.meilisearch.com/errors#missing_authorization_header",
      }),
    );
    const error = await failure(
      client(url, { apiKey: undefined, keySource: "none" }).createSnapshot(signal()),
    );
    expect(error.message).toMatch(
      /^meilisearch target "search": POST \/snapshots was refused: 401 missing_authorization_header \(The Authorization header is missing/,
    );
    expect(error.message).toContain("no API key was sent: set BACKUP_MEILI_API_KEY");
    expect(error).toMatchObject({ status: 401, code: "missing_authorization_header", target: "search" });
  });

  it("names where the key came from when Meilisearch answers 403 invalid_api_key, and never shows the key", async () => {
    const url = await serve((req, res) =>
      // A server that echoes the header back must not leak the key into the message.
      json(res, 403, {
        message: `The provided API key is invalid: ${req.headers.authorization}`,
        code: "invalid_api_key",
      }),
    );
    const error = await failure(
      client(url, { apiKey: new Secret(KEY), keySource: "the container's MEILI_MASTER_KEY" }).createSnapshot(
        signal(),
      ),
    );
    expect(error.message).toContain("POST /snapshots was refused: 403 invalid_api_key");
    expect(error.message).toContain("the API key from the container's MEILI_MASTER_KEY is wrong");
    expect(error.message).toContain("Bearer [redacted]");
    expect(error.status).toBe(403);
  });

  it("reports a 5xx answer with its status and Meilisearch's message", async () => {
    const url = await serve((_req, res) =>
      json(res, 503, { message: "the scheduler is down", code: "internal" }),
    );
    const error = await failure(client(url).getTask(3, signal()));
    expect(error.message).toBe(
      'meilisearch target "search": GET /tasks/3: Meilisearch failed with 503 internal (the scheduler is down); see its logs',
    );
    expect(error.status).toBe(503);
  });

  it("reports a 5xx answer that is not JSON with its body", async () => {
    const url = await serve((_req, res) => res.writeHead(502).end("<html>Bad Gateway</html>"));
    const error = await failure(client(url).createSnapshot(signal()));
    expect(error.message).toBe(
      'meilisearch target "search": POST /snapshots: Meilisearch failed with 502 <html>Bad Gateway</html>; see its logs',
    );
  });

  it("says the connection was refused, naming the target and the URL", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const error = await failure(client(url).createSnapshot(signal()));
    expect(error.message).toBe(
      `meilisearch target "search": POST /snapshots: cannot reach ${url} (ECONNREFUSED): connection refused: is Meilisearch running and listening there?`,
    );
    expect(error.status).toBeUndefined();
  });

  it("says when a host name does not resolve", async () => {
    const error = await failure(client("http://no-such-meili.invalid:7700").createSnapshot(signal()));
    expect(error.message).toMatch(
      /cannot reach http:\/\/no-such-meili\.invalid:7700 \((ENOTFOUND|EAI_AGAIN)\)/,
    );
  });

  it("reports an unknown task as Meilisearch's 404 task_not_found", async () => {
    const url = await serve((_req, res) =>
      json(res, 404, { message: "Task `5` not found.", code: "task_not_found", type: "invalid_request" }),
    );
    const error = await failure(client(url).getTask(5, signal()));
    expect(error.message).toBe(
      'meilisearch target "search": GET /tasks/5 answered 404 task_not_found (Task `5` not found.)',
    );
    expect(error.code).toBe("task_not_found");
  });

  it("refuses an answer that is not Meilisearch's", async () => {
    const url = await serve((_req, res) =>
      res.writeHead(200, { "content-type": "text/html" }).end("<h1>hello</h1>"),
    );
    const error = await failure(client(url).createSnapshot(signal()));
    expect(error.message).toBe(
      'meilisearch target "search": POST /snapshots answered 200 with something that is not a JSON object: <h1>hello</h1>',
    );
  });

  it("gives up on a server that never answers after the request time limit", async () => {
    const url = await serve(() => {
      // never answers
    });
    const api = new MeiliHttpClient({
      target: "search",
      url,
      apiKey: undefined,
      keySource: "none",
      requestTimeoutMs: 200,
    });
    const error = await failure(api.getTask(1, signal()));
    expect(error.message).toBe(
      `meilisearch target "search": GET /tasks/1: no answer from ${url} within 200ms`,
    );
    expect(error.timedOut).toBe(true);
  });
});
