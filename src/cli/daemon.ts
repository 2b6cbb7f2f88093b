// `backup-agent daemon`: the schedule, /metrics and /healthz until SIGTERM or SIGINT.
import type { Server } from "node:http";
import { BackupError } from "../core/errors.js";
import { reapThrowaways } from "../docker/reap.js";
import { startHttp } from "../http/server.js";
import { ResticNoRepositoryError } from "../restic/errors.js";
import { listSnapshots } from "../restic/snapshots.js";
import { reapGateDirs } from "../restic/stdin-backup.js";
import { Scheduler } from "../scheduler/scheduler.js";
import type { App } from "./app.js";
import { removeStaleLocks } from "./stale-locks.js";
import { statusReporter } from "./status.js";

const MIN_RESTIC = [0, 18];

export async function daemonCommand(app: App): Promise<number> {
  const { config, logger: log, runner } = app;
  const version = await app.repository.version(AbortSignal.timeout(30_000));
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major < (MIN_RESTIC[0] as number) || (major === MIN_RESTIC[0] && minor < (MIN_RESTIC[1] as number))) {
    throw new BackupError(
      `restic ${version} at "${config.restic.binary}" is too old: backup-agent needs 0.18 or newer`,
    );
  }
  log.info(
    { restic: version, schedule: config.schedule.source, timezone: config.timezone },
    "backup-agent starting",
  );
  await restoreMetrics(app);
  await removeStaleLocks(app);
  const throwaways = await reapThrowaways(app.sandbox, log, config.jobs.verify.timeoutMs).catch(
    (error: unknown) => {
      log.error({ err: error }, "could not look for throwaway containers left by a crashed verify");
      return [];
    },
  );
  if (throwaways.length)
    log.info({ containers: throwaways }, "removed throwaway containers left by a crashed verify");
  const reaped = await reapGateDirs();
  if (reaped) log.info({ reaped }, "removed stream directories left by an agent that died");

  let stopping = false;
  const scheduler = new Scheduler(runner, log);
  let server: Server | undefined;
  if (config.http) {
    server = await startHttp(config.http, {
      metrics: app.metrics,
      log,
      health: () => ({ ok: !stopping, running: runner.running, schedule: scheduler.nextRuns() }),
      status: statusReporter(app),
    });
  }
  scheduler.start(config.schedule.entries, config.timezone);

  // Listeners stay registered until exit: execa's cleanup handler re-raises a signal nobody else
  // listens to, which would kill the process in the middle of the graceful stop.
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.on("SIGTERM", () => resolve("SIGTERM"));
    process.on("SIGINT", () => resolve("SIGINT"));
  });
  stopping = true;
  log.info({ signal }, "stopping: no new runs");
  scheduler.stop();
  await runner.shutdown(config.shutdownGraceMs);
  await app.healthchecks.flush(5_000);
  await app.healthchecks.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  log.info("stopped");
  return 0;
}

/** Freshness comes from the repository: a restart neither resets nor fakes "last success". */
async function restoreMetrics(app: App): Promise<void> {
  try {
    const snapshots = await listSnapshots(app.repository.env, AbortSignal.timeout(120_000));
    const series = app.targetMetrics.fillFromSnapshots(snapshots);
    app.logger.info({ snapshots: snapshots.length, series }, "target metrics filled from the repository");
  } catch (error) {
    const level = error instanceof ResticNoRepositoryError ? "info" : "error";
    app.logger[level]({ err: error }, "could not read snapshots: target metrics start empty");
  }
}
