// `backup-agent check-config`: the resolved configuration as JSON, secrets redacted: every variable
// (defaults included, and where each value came from), what the agent makes of them, each schedule
// line's next run, and the warnings (also on stderr).
import { formatDuration } from "../config/duration.js";
import { nextRun } from "../config/crontab.js";
import type { Config } from "../config/load.js";

const REDACTED = "[redacted]";

export function describeConfig(config: Config, now = new Date()): Record<string, unknown> {
  const ms = formatDuration;
  return {
    settings: Object.fromEntries(config.settings.map((s) => [s.name, { value: s.value, from: s.from }])),
    restic: { repository: config.restic.repositoryDisplay, password: REDACTED, binary: config.restic.binary, host: config.restic.host },
    timezone: config.timezone,
    schedule: {
      source: config.schedule.source,
      entries: config.schedule.entries.map((e) => ({
        line: e.line,
        schedule: e.schedule,
        job: e.job,
        flags: [...e.flags],
        next: nextRun(e.schedule, config.timezone, now)?.toISOString() ?? null,
      })),
    },
    targets: {
      project: config.targets.project ?? "(the agent's own Compose project, else every project)",
      expected: config.targets.expected,
      concurrency: config.targets.concurrency,
      checkSubset: config.targets.checkSubset,
      hookTimeout: ms(config.targets.hookTimeoutMs),
    },
    meilisearch: {
      apiKey: config.meilisearch.apiKey ? REDACTED : "each container's own MEILI_MASTER_KEY",
      pollInterval: ms(config.meilisearch.pollIntervalMs),
      timeout: ms(config.meilisearch.timeoutMs),
    },
    http: config.http ? `${config.http.host}:${config.http.port}` : "off",
    log: config.log,
    shutdownGrace: ms(config.shutdownGraceMs),
    healthchecks: { timeout: ms(config.healthchecks.timeoutMs), retries: config.healthchecks.retries },
    jobs: Object.fromEntries(
      Object.entries(config.jobs).map(([job, c]) => [job, { timeout: ms(c.timeoutMs), healthcheck: c.healthcheck ? REDACTED : "none" }]),
    ),
    volumes: config.volumes,
    retention: config.retention,
    offsite: config.offsite
      ? {
          repository: config.offsite.repositoryDisplay,
          password: REDACTED,
          credentials: config.offsite.credentials
            ? Object.fromEntries(Object.entries(config.offsite.credentials).map(([k, v]) => [k, k === "AWS_DEFAULT_REGION" ? v.reveal() : REDACTED]))
            : "none",
        }
      : "not configured",
    status: {
      warnAfter: ms(config.status.warnAfterMs),
      criticalAfter: ms(config.status.criticalAfterMs),
      verifyMaxAge: ms(config.status.verifyMaxAgeMs),
      offsiteMaxLag: ms(config.status.offsiteMaxLagMs),
    },
    warnings: config.warnings,
  };
}

export function checkConfigCommand(config: Config, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): number {
  for (const warning of config.warnings) err.write(`backup-agent: warning: ${warning}\n`);
  out.write(`${JSON.stringify(describeConfig(config), null, 2)}\n`);
  return 0;
}
