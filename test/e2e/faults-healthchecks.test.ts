// A healthchecks endpoint that accepts connections and never answers: the job's outcome and duration
// do not change, the run ends within BACKUP_HC_TIMEOUT × (retries + 1) of the job's end, and each
// ping that failed is logged.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentProcess, baseEnv, type LogLine } from "./support/daemon.js";
import { newRepo, type TestRepo } from "./support/restic.js";

let server: Server;
let hung = "";
let repo: TestRepo;

beforeAll(async () => {
  // Reads the request and never answers it.
  server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  hung = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hung-uuid`;
  repo = await newRepo("e2e-faults-hc");
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function runCheck(extra: Record<string, string>) {
  const agent = new AgentProcess(["run", "check"], baseEnv({ ...repo.env, ...extra }));
  const result = await agent.process;
  const exited = Date.now();
  const lines = agent.output.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as LogLine & { time: number; durationSeconds?: number });
  const done = lines.find((l) => l.msg === "check succeeded");
  return { exitCode: result.exitCode, output: agent.output, lines, done, afterJob: exited - (done?.time ?? exited) };
}

describe("a healthchecks endpoint that never answers", () => {
  it("changes neither the job's outcome nor its duration, and delays the end by at most the ping budget", async () => {
    const control = await runCheck({});
    const pinged = await runCheck({ BACKUP_HC_CHECK_URL: hung, BACKUP_HC_TIMEOUT: "2s", BACKUP_HC_RETRIES: "1" });

    expect(control.exitCode, control.output).toBe(0);
    expect(pinged.exitCode, pinged.output).toBe(0);
    expect(pinged.done?.durationSeconds).toBeDefined();
    // The start ping runs beside the job: it does not lengthen it.
    expect(pinged.done?.durationSeconds as number).toBeLessThan((control.done?.durationSeconds as number) + 2);
    // The budget is 2 s × (1 + 1) = 4 s per ping; process exit adds little.
    expect(pinged.afterJob).toBeLessThan(4_000 + 1_500);
    for (const kind of ["start", "success"]) {
      expect(pinged.lines.filter((l) => l.msg.startsWith(`healthchecks ${kind} ping of check failed`)), pinged.output).toHaveLength(1);
    }
    expect(pinged.output).not.toContain("hung-uuid");
  });
});
