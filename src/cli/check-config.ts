// `backup-agent check-config`: the resolved configuration, secrets redacted, as JSON.

import { formatDuration } from "../config/duration.js";
import type { Config } from "../config/load.js";

export function describeConfig(config: Config): Record<string, unknown> {
  return {
    restic: { ...config.restic, repository: config.restic.repositoryDisplay, repositoryDisplay: undefined },
    timezone: config.timezone,
    schedule: {
      source: config.schedule.source,
      entries: config.schedule.entries.map((e) => ({
        line: e.line,
        schedule: e.schedule,
        job: e.job,
        flags: [...e.flags],
      })),
    },
    http: config.http ? `${config.http.host}:${config.http.port}` : "off",
    log: config.log,
    shutdownGrace: formatDuration(config.shutdownGraceMs),
    healthchecks: {
      timeout: formatDuration(config.healthchecks.timeoutMs),
      retries: config.healthchecks.retries,
    },
    jobs: Object.fromEntries(
      Object.entries(config.jobs).map(([job, c]) => [
        job,
        { timeout: formatDuration(c.timeoutMs), healthcheck: c.healthcheck ? "[redacted]" : "none" },
      ]),
    ),
    volumes: config.volumes,
    retention: config.retention,
    offsite: config.offsite
      ? {
          repository: config.offsite.repositoryDisplay,
          password: "[redacted]",
          credentials: config.offsite.credentials
            ? Object.fromEntries(Object.entries(config.offsite.credentials).map(([k, v]) => [k, k === "AWS_DEFAULT_REGION" ? v.reveal() : "[redacted]"]))
            : "none",
        }
      : "not configured",
  };
}

export function checkConfigCommand(config: Config, out: NodeJS.WritableStream = process.stdout): number {
  out.write(`${JSON.stringify(describeConfig(config), null, 2)}\n`);
  return 0;
}
