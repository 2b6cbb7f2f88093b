// A local healthchecks.io stand-in: records every ping (path, rid, body) it receives.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedPing {
  method: string;
  path: string;
  kind: "start" | "fail" | "success" | "log" | "other";
  rid: string | null;
  body: string;
}

export class PingRecorder {
  readonly pings: RecordedPing[] = [];
  #server: Server | undefined;

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://recorder");
        const last = url.pathname.split("/").at(-1) ?? "";
        const kind =
          last === "start" || last === "fail" || last === "log"
            ? last
            : /^\d+$/.test(last)
              ? "other"
              : "success";
        this.pings.push({
          method: req.method ?? "",
          path: url.pathname,
          kind,
          rid: url.searchParams.get("rid"),
          body,
        });
        res.writeHead(200, { "content-type": "text/plain" }).end("OK");
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  forCheck(uuid: string): RecordedPing[] {
    return this.pings.filter((p) => p.path.startsWith(`/${uuid}`));
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.#server?.close(resolve));
  }
}
