// Leftovers of a crashed agent (throwaway containers, verify temp dirs, stream directories), reaped
// at daemon start and before every verify and restore. What a live agent still uses is left alone.
import type { Logger } from "pino";
import { logFailure } from "../core/errors.js";
import type { Engine } from "../docker/engine.js";
import { reapThrowaways } from "../docker/reap.js";
import { reapVerifyDirs } from "../docker/reap-dirs.js";
import type { Sandbox } from "../docker/sandbox.js";
import { reapGateDirs } from "../restic/stdin-backup.js";

export async function reapLeftovers(sandbox: Sandbox, engine: Pick<Engine, "inspectStarted">, log: Logger, maxAgeMs: number): Promise<void> {
  const containers = await reapThrowaways(sandbox, engine, log, maxAgeMs).catch((error: unknown) => {
    logFailure(log, "could not look for throwaway containers left by a crashed agent", error);
    return [];
  });
  if (containers.length) log.info({ containers }, "removed throwaway containers left by a crashed verify or restore");
  const dirs = await reapVerifyDirs(log, maxAgeMs).catch((error: unknown) => {
    logFailure(log, "could not look for temp dirs left by a crashed verify", error);
    return [];
  });
  if (dirs.length) log.info({ dirs }, "removed temp dirs left by a crashed verify");
  const gates = await reapGateDirs().catch(() => 0);
  if (gates) log.info({ reaped: gates }, "removed stream directories left by an agent that died");
}
