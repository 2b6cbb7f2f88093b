// Containers stopped around volume work and started again in `finally`, even when the work fails or
// the run is aborted. Only containers stopped here are started: one that was already stopped stays so.
import type { Logger } from "pino";
import { AggregateBackupError, BackupError, logFailure } from "../../core/errors.js";
import type { ContainerControl, Engine } from "../../docker/engine.js";
import { VOLUME_LABELS } from "./labels.js";

/** How long starting the containers again may take, even after the run's own signal aborted. */
const RESTART_TIMEOUT_MS = 120_000;

export type StopEngine = Pick<Engine, "listContainers"> & ContainerControl;
type Run = { signal: AbortSignal; log: Logger };

/**
 * Stops the containers (all at once), runs `body`, and starts every container it stopped again,
 * whatever happened. Errors of starting again are joined to body's, never dropped.
 */
export async function withStopped<T>(
  engine: ContainerControl,
  containers: readonly { id: string; name: string }[],
  run: Run,
  why: string,
  body: () => Promise<T>,
): Promise<T> {
  // Registered before the stop call: a stop that fails half-way is still started again.
  const stopped = [...containers];
  let result: T;
  try {
    await Promise.all(
      containers.map(async (c) => {
        await engine.stop(c.id, run.signal).catch((error: unknown) => {
          throw new BackupError(`cannot stop container ${c.name} before ${why}`, { target: c.name, cause: error });
        });
        run.log.info({ container: c.name }, `stopped ${c.name} for ${why}`);
      }),
    );
    result = await body();
  } catch (error) {
    const restartErrors = await startAgain(engine, stopped, run.log, why);
    if (restartErrors.length === 0) throw error;
    throw new AggregateBackupError(`${why}, then restarting containers`, [error as Error, ...restartErrors]);
  }
  const restartErrors = await startAgain(engine, stopped, run.log, why);
  if (restartErrors.length === 1) throw restartErrors[0];
  if (restartErrors.length > 1) throw new AggregateBackupError("restarting containers", restartErrors);
  return result;
}

/** The volume backup's stop: the running containers labelled backup-agent.stop-during-backup=true. */
export async function withContainersStopped<T>(engine: StopEngine, project: string | undefined, run: Run, body: () => Promise<T>): Promise<T> {
  const labelled = await engine.listContainers(`${VOLUME_LABELS.stopDuringBackup}=true`, project);
  for (const c of labelled.filter((c) => !c.running)) {
    run.log.info({ container: c.name }, `${c.name} is not running: it stays stopped`);
  }
  const running = labelled.filter((c) => c.running).map((c) => ({ id: c.id, name: c.name }));
  return withStopped(engine, running, run, "the volume backup", body);
}

/** Starts each stopped container again under its own time limit; returns one error per failure. */
export async function startAgain(
  engine: ContainerControl,
  stopped: readonly { id: string; name: string }[],
  log: Logger,
  why: string,
): Promise<Error[]> {
  // The run's signal may have aborted: starting the containers again gets its own time limit.
  const signal = AbortSignal.timeout(RESTART_TIMEOUT_MS);
  const results = await Promise.allSettled(
    stopped.map(async (c) => {
      await engine.start(c.id, signal);
      log.info({ container: c.name }, `started ${c.name} again`);
    }),
  );
  return results.flatMap((r, i) => {
    if (r.status === "fulfilled") return [];
    const c = stopped[i] as { name: string };
    logFailure(log, `cannot start ${c.name} again`, r.reason, { container: c.name });
    return [new BackupError(`container ${c.name} was stopped for ${why} and could not be started again`, { target: c.name, cause: r.reason })];
  });
}
