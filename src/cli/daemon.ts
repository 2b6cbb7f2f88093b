// `backup-agent daemon`: the schedule, the status page, /metrics, /healthz and /status until SIGTERM or SIGINT.
import type { Server } from "node:http";
import { redact } from "../config/redact.js";
import { BackupError, logFailure, renderError } from "../core/errors.js";
import { reapLeftovers } from "../jobs/leftovers.js";
import { startHttp } from "../http/server.js";
import { statusReporter } from "../jobs/status.js";
import { readLastVerify } from "../report/verify-record.js";
import { ResticNoRepositoryError } from "../restic/errors.js";
import { Scheduler } from "../scheduler/scheduler.js";
import { type App, logWarnings, VERSION } from "./app.js";
import { removeStaleLocks } from "./stale-locks.js";

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
  logWarnings(app);
  await restoreMetrics(app);
  restoreOffsiteMetric(app);
  await removeStaleLocks(app.repository, log);
  await reapLeftovers(app.sandbox, app.engine, log, config.jobs.verify.timeoutMs);

  let stopping = false;
  const scheduler = new Scheduler(runner, log);
  let server: Server | undefined;
  if (config.http) {
    const status = statusReporter(app.status, 60_000);
    server = await startHttp(config.http, {
      metrics: app.metrics,
      log,
      health: () => ({ ok: !stopping, running: runner.running, schedule: scheduler.nextRuns() }),
      status,
      page: {
        redact,
        data: async () => ({
          status: await status().catch((error: unknown) => ({ error: renderError(error) })),
          schedule: scheduler.nextRuns(),
          running: app.history.running(),
          recent: app.history.recent(),
          repositories: { local: config.restic.repositoryDisplay, offsite: config.offsite?.repositoryDisplay },
          host: config.restic.host,
          version: VERSION,
          now: new Date(),
        }),
      },
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
  await app.healthchecks.flush();
  await app.healthchecks.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  log.info("stopped");
  return 0;
}

/**
 * The offsite copy's freshness, from the offsite repository's newest snapshot. In the background: an
 * unreachable backend makes restic retry for minutes, and that must not delay the schedule.
 */
function restoreOffsiteMetric(app: App): void {
  const offsite = app.offsite;
  if (!offsite) return;
  offsite.snapshots(AbortSignal.timeout(600_000)).then(
    (snapshots) => {
      const newest = snapshots.at(-1);
      if (newest) app.deps.metrics.repository.offsiteLastSuccess.set(newest.time.getTime() / 1000);
      app.logger.info({ newest: newest?.time }, "offsite freshness read from the offsite repository");
    },
    (error: unknown) => logFailure(app.logger, "could not read the offsite repository's snapshots", error, {}, "warn"),
  );
}

/** Freshness comes from the repository: a restart neither resets nor fakes "last success". */
async function restoreMetrics(app: App): Promise<void> {
  try {
    const snapshots = await app.repository.snapshots(AbortSignal.timeout(120_000));
    const series = app.deps.metrics.targets.fillFromSnapshots(snapshots);
    app.deps.metrics.pitr.fillFromSnapshots(snapshots);
    app.logger.info({ snapshots: snapshots.length, series }, "target metrics filled from the repository");
    const verify = await readLastVerify(app.repository, snapshots, AbortSignal.timeout(60_000), app.logger);
    if (verify) {
      app.metrics.verifyLast.set(Date.parse(verify.finishedAt) / 1000);
      app.metrics.verifySuccess.set(verify.ok ? 1 : 0);
      app.metrics.verifyDuration.set(verify.durationSeconds);
      for (const r of verify.results) {
        const labels = { repository: r.repository ?? "local", kind: r.kind, target: r.target };
        app.metrics.verifyTarget.set({ ...labels, database: r.database }, r.ok ? 1 : 0);
        if (r.restoreSeconds !== undefined) app.metrics.verifyTarget.restored(labels, r.restoreSeconds);
      }
    }
  } catch (error) {
    const level = error instanceof ResticNoRepositoryError ? "info" : "error";
    logFailure(app.logger, "could not read snapshots: target metrics start empty", error, {}, level);
  }
}
