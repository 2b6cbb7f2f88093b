// Containers labelled backup-agent.stop-during-backup=true are stopped around the volume step and
// started again in `finally`, even when the step fails or the run is aborted. Only containers this
// step stopped are started: one that was already stopped stays stopped.
import type { Logger } from "pino";
import { AggregateBackupError, BackupError } from "../../core/errors.js";
import type { ContainerControl, Engine } from "../../docker/engine.js";
import { VOLUME_LABELS } from "../labels.js";

/** How long starting the containers again may take, even after the run's own signal aborted. */
const RESTART_TIMEOUT_MS = 120_000;

export type StopEngine = Pick<Engine, "listContainers"> & ContainerControl;

export async function withContainersStopped<T>(
  engine: StopEngine,
  project: string | undefined,
  run: { signal: AbortSignal; log: Logger },
  body: () => Promise<T>,
): Promise<T> {
  const labelled = await engine.listContainers(`${VOLUME_LABELS.stopDuringBackup}=true`, project);
  const stopped: { id: string; name: string }[] = [];
  let result: T;
  try {
    for (const container of labelled) {
      if (!container.running) {
        run.log.info({ container: container.name }, `${container.name} is not running: it stays stopped`);
        continue;
      }
      // Registered before the stop call: a stop that fails half-way is still started again.
      stopped.push({ id: container.id, name: container.name });
      await engine.stop(container.id, run.signal).catch((error: unknown) => {
        throw new BackupError(`cannot stop container ${container.name} before the volume backup`, {
          target: container.name,
          cause: error,
        });
      });
      run.log.info({ container: container.name }, `stopped ${container.name} for the volume backup`);
    }
    result = await body();
  } catch (error) {
    const restartErrors = await startAgain(engine, stopped, run.log);
    if (restartErrors.length === 0) throw error;
    throw new AggregateBackupError("volume backup, then restarting containers", [
      error as Error,
      ...restartErrors,
    ]);
  }
  const restartErrors = await startAgain(engine, stopped, run.log);
  if (restartErrors.length === 1) throw restartErrors[0];
  if (restartErrors.length > 1) throw new AggregateBackupError("restarting containers", restartErrors);
  return result;
}

/** Starts each stopped container again under its own time limit; returns one error per failure. */
export async function startAgain(
  engine: ContainerControl,
  stopped: readonly { id: string; name: string }[],
  log: Logger,
  why = "the volume backup",
): Promise<Error[]> {
  const errors: Error[] = [];
  // The run's signal may have aborted: starting the containers again gets its own time limit.
  const signal = AbortSignal.timeout(RESTART_TIMEOUT_MS);
  for (const container of stopped) {
    try {
      await engine.start(container.id, signal);
      log.info({ container: container.name }, `started ${container.name} again`);
    } catch (error) {
      log.error({ container: container.name, err: error }, `cannot start ${container.name} again`);
      errors.push(
        new BackupError(
          `container ${container.name} was stopped for ${why} and could not be started again`,
          {
            target: container.name,
            cause: error,
          },
        ),
      );
    }
  }
  return errors;
}
