// A real restic REST server on loopback (`rclone serve restic`), that a test can stop and start again
// on the same address and data, as when a repository server goes down and comes back.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { expect, vi } from "vitest";
import { freePort } from "./daemon.js";

export class RestServer {
  readonly dir = mkdtempSync(join(tmpdir(), "e2e-rest-"));
  port = 0;
  #process: ResultPromise | undefined;

  /** The repository URL restic takes (`rest:http://127.0.0.1:PORT/`). */
  get url(): string {
    return `rest:http://127.0.0.1:${this.port}/`;
  }

  async start(): Promise<void> {
    this.port ||= await freePort();
    this.#process = execa("rclone", ["serve", "restic", "--addr", `127.0.0.1:${this.port}`, this.dir], { reject: false });
    await vi.waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${this.port}/config`, { method: "HEAD" });
        expect(response.status).toBeLessThan(500);
      },
      { timeout: 20_000, interval: 100 },
    );
  }

  async stop(): Promise<void> {
    if (this.#process && this.#process.exitCode === null) this.#process.kill("SIGKILL");
    await this.#process;
  }
}
