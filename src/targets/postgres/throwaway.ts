// A throwaway PostgreSQL server for restore-verify: the source container's own image, no network,
// data on tmpfs, a random superuser password, labelled with the run id so a later start can reap it.
import { randomBytes } from "node:crypto";
import { BackupError } from "../../core/errors.js";
import type { Engine } from "../../docker/engine.js";
import { ROLE_LABEL, type Sandbox, throwawayName, VERIFY_RUN_LABEL } from "../../docker/sandbox.js";

export const VERIFY_USER = "backup_agent_verify";
const READY_TIMEOUT_MS = 120_000;

export interface Throwaway {
  id: string;
  name: string;
  image: string;
  /** PGUSER/PGPASSWORD for execs in the throwaway container. */
  env: string[];
}

/** Creates and starts the container; the caller must remove it (in finally) once this resolves. */
export async function startThrowaway(
  sandbox: Sandbox,
  image: string,
  target: string,
  runId: string,
  signal: AbortSignal,
): Promise<Throwaway> {
  const password = randomBytes(18).toString("hex");
  const name = throwawayName("verify", target);
  const id = await sandbox.createThrowaway(
    {
      image,
      name,
      env: [
        `POSTGRES_USER=${VERIFY_USER}`,
        `POSTGRES_PASSWORD=${password}`,
        "PGDATA=/var/lib/postgresql/data",
      ],
      labels: {
        [VERIFY_RUN_LABEL]: runId,
        [ROLE_LABEL]: "verify",
        "backup-agent.verify.target": target,
      },
      tmpfs: { "/var/lib/postgresql/data": "rw", "/var/run/postgresql": "rw" },
    },
    signal,
  );
  return { id, name, image, env: [`PGUSER=${VERIFY_USER}`, `PGPASSWORD=${password}`] };
}

/** Polls `psql -c 'SELECT 1'` until the server answers; fails early when the container stops. */
export async function waitReady(
  engine: Engine,
  box: Throwaway,
  signal: AbortSignal,
  timeoutMs = READY_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  // A short, steady poll: the restore waits for this, and each poll is one small exec.
  for (let wait = 100; ; wait = Math.min(wait + 50, 250)) {
    signal.throwIfAborted();
    const state = await engine.inspect(box.id);
    if (!state?.running) {
      throw new BackupError(
        `throwaway container ${box.name} stopped before PostgreSQL was ready (${state?.state ?? "gone"})`,
      );
    }
    const result = await engine.execText(
      box.id,
      ["psql", "-X", "-w", "-A", "-t", "-d", "postgres", "-c", "SELECT 1"],
      { env: box.env, signal },
    );
    if (result.exitCode === 0 && result.stdout.trim() === "1") return;
    last = result.stderr.trim();
    if (Date.now() > deadline) {
      throw new BackupError(
        `throwaway container ${box.name}: PostgreSQL not ready after ${timeoutMs / 1000}s (${last || "no answer"})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
