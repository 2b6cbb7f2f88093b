// Starts the built agent as a real process and reads what an operator would: logs, /metrics, exit code.
import { createServer } from "node:net";
import { execa, type ResultPromise } from "execa";
import { metricValue, scrape } from "./prometheus.js";

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
    /** In a process group of its own, as systemd or a shell job starts it: signal(-pid) reaches the group. */
    options: { ownGroup?: boolean } = {},
  ) {
    this.process = execa("node", ["dist/main.js", ...args], {
      detached: options.ownGroup ?? false,
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
    return scrape(`http://127.0.0.1:${this.port}`);
  }

  /** The value of one series in /metrics, e.g. ('backup_job_runs_total', {job:'check', result:'failure'}). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    return metricValue(await this.metrics(), name, labels);
  }

  /** Sends `signal` to the agent's whole process group (it must have been started with ownGroup). */
  signalGroup(signal: NodeJS.Signals): void {
    process.kill(-(this.process.pid as number), signal);
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

/** One JSON log line of the agent, as the tests read it. */
export interface LogLine {
  msg: string;
  runId?: string;
  target?: string;
  image?: string;
  container?: string;
  [field: string]: unknown;
}

export interface AgentResult {
  exitCode: number | undefined;
  output: string;
  /** The JSON log lines. */
  lines: LogLine[];
  /** The run id of the first log line that has one ("" when none). */
  runId: string;
}

/** Runs the agent with `args` to its end, as a user's cron would. */
export async function runAgent(args: string[], env: Record<string, string>): Promise<AgentResult> {
  const agent = new AgentProcess(args, env);
  const result = await agent.process;
  // Log lines are one JSON object each; a command's own output (plan --json) is not.
  const lines = agent.output.split("\n").flatMap((line) => {
    try {
      const parsed: unknown = line.startsWith("{") ? JSON.parse(line) : undefined;
      return parsed && typeof (parsed as LogLine).msg === "string" ? [parsed as LogLine] : [];
    } catch {
      return [];
    }
  });
  return { exitCode: result.exitCode, output: agent.output, lines, runId: lines.find((l) => l.runId)?.runId ?? "" };
}
