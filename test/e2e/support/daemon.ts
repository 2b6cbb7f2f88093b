// Starts the built agent as a real process and reads what an operator would: logs, /metrics, exit code.
import { createServer } from "node:net";
import { execa, type ResultPromise } from "execa";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class AgentProcess {
  output = "";
  readonly process: ResultPromise;

  constructor(
    args: string[],
    env: Record<string, string>,
    readonly port?: number,
  ) {
    this.process = execa("node", ["dist/main.js", ...args], {
      env: {
        ...env,
        BACKUP_LOG_FORMAT: "json",
        ...(port ? { BACKUP_HTTP_LISTEN: `127.0.0.1:${port}` } : {}),
      },
      extendEnv: false,
      reject: false,
      all: true,
      forceKillAfterDelay: false,
    });
    this.process.all?.on("data", (chunk: Buffer) => {
      this.output += chunk.toString();
    });
  }

  async metrics(): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    return response.text();
  }

  /** The value of one series in /metrics, e.g. ('backup_job_runs_total', {job:'check', result:'failure'}). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    const text = await this.metrics();
    for (const line of text.split("\n")) {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match || match[1] !== name) continue;
      const have = Object.fromEntries(
        [...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
      );
      if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[3]);
    }
    return undefined;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  async stop(): Promise<void> {
    if (this.running) this.process.kill("SIGKILL");
    await this.process;
  }
}

/** The environment a test agent starts with: PATH and HOME only, plus what the test sets. */
export function baseEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...extra };
}
