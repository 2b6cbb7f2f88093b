// Before any scenario: the bench must be there (a Docker Engine that answers, restic 0.18+, dist/ built).
// No engine is a failure that says why. BACKUP_AGENT_E2E=skip is the only way around it, and it says so.
import { existsSync } from "node:fs";
import Docker from "dockerode";
import { execa } from "execa";

export default async function setup(): Promise<void> {
  if (process.env.BACKUP_AGENT_E2E === "skip") {
    process.stderr.write(
      "\n*** BACKUP_AGENT_E2E=skip: the end-to-end scenarios are NOT run; nothing about Docker, restic or the daemon was tested. ***\n\n",
    );
    return;
  }
  const problems: string[] = [];
  try {
    await new Docker().ping({ abortSignal: AbortSignal.timeout(5000) } as never);
  } catch (error) {
    problems.push(
      `no Docker Engine answers at ${process.env.DOCKER_HOST ?? "/var/run/docker.sock"} (${(error as Error).message}); run \`sudo bash test/bench/setup.sh\``,
    );
  }
  const restic = await execa("restic", ["version"], { reject: false });
  const version = /restic (\d+)\.(\d+)/.exec(String(restic.stdout));
  if (!version || (Number(version[1]) === 0 && Number(version[2]) < 18)) {
    problems.push(
      `restic 0.18+ is needed on PATH; found: ${String(restic.stdout || restic.stderr || "none").trim()}`,
    );
  }
  if (!existsSync("dist/main.js")) problems.push("dist/main.js is missing: run `npm run build` first");
  if (problems.length) {
    throw new Error(
      `the end-to-end bench is not ready:\n  - ${problems.join("\n  - ")}\n(set BACKUP_AGENT_E2E=skip to skip these scenarios on purpose)`,
    );
  }
}
