// The database step shared by the `postgres` and `backup` jobs: discover, check expectations, back up
// every target under the concurrency limit. A failed target never stops the others; the step fails
// naming each.
import { AggregateBackupError, BackupError } from "../core/errors.js";
import type { RunContext } from "../core/job.js";
import { checkExpectedTargets } from "./expected.js";
import { resolveProject } from "../docker/project.js";
import { backupPostgres, type PostgresDeps } from "../targets/postgres/backup.js";
import { discoverPostgres } from "../targets/postgres/discover.js";
import { backupEachTarget } from "./each-target.js";

export interface DatabaseStepDeps extends PostgresDeps {
  project: string | undefined;
  expected: readonly string[];
  concurrency: number;
  hookTimeoutMs: number;
}

export async function backupDatabaseTargets(deps: DatabaseStepDeps, ctx: RunContext): Promise<void> {
  const scope = await resolveProject(deps.engine, deps.project);
  const targets = await discoverPostgres(deps.engine, scope.project);
  ctx.log.info(
    {
      scope: scope.project ?? "*",
      why: scope.reason,
      targets: targets.map((t) => `${t.name} (${t.container.name})`),
    },
    `${targets.length} PostgreSQL target(s) found`,
  );
  const errors: Error[] = checkExpectedTargets("postgres", targets, deps.expected, deps.metrics);
  if (targets.length === 0 && errors.length === 0) {
    ctx.log.warn(
      { scope: scope.project ?? "*" },
      "no container is labelled backup-agent.postgres=true: no database was backed up",
    );
  }
  const results = await backupEachTarget(deps, ctx, "postgres", targets, (target) => backupPostgres(target, deps, ctx));
  for (const result of results) {
    if (result.status === "rejected") errors.push(result.reason as Error);
  }
  if (errors.length > 0) {
    const absent = errors.filter((e) => !targets.some((t) => t.name === (e as BackupError).target)).length;
    throw new AggregateBackupError(
      `${errors.length} of ${targets.length + absent} PostgreSQL target(s) failed`,
      errors,
    );
  }
}
