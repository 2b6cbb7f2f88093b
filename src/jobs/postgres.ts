// The `postgres` job: every PostgreSQL target, nothing else (hourly by default); unprotected volumes
// are reported on every run as well.
import type { Job } from "../core/job.js";
import { resolveProject } from "../docker/project.js";
import { KIND } from "../restic/tags.js";
import { reportCoverageQuietly } from "./backup.js";
import { backupKind } from "./backup-kind.js";
import type { JobDeps } from "./deps.js";

export function postgresJob(deps: JobDeps): Job {
  return {
    name: "postgres",
    async run(ctx) {
      const scope = await resolveProject(deps.engine, deps.project);
      await reportCoverageQuietly(deps, ctx, scope);
      for (const kind of deps.kinds.filter((k) => k.name === KIND.postgres)) {
        await backupKind(kind, { ...deps, metrics: deps.metrics.targets }, ctx, scope, { warnWhenNone: true });
      }
    },
  };
}
