// The exec step of the `backup` job: every labelled dump command under the concurrency limit. A failed
// target never stops the others; the step fails naming each.
import { AggregateBackupError } from "../core/errors.js";
import type { RunContext } from "../core/job.js";
import { resolveProject } from "../docker/project.js";
import { backupExec, type ExecDeps } from "../targets/exec/backup.js";
import { discoverExec, EXEC_KIND } from "../targets/exec/discover.js";
import { backupEachTarget } from "./each-target.js";

export interface ExecStepDeps extends ExecDeps {
  project: string | undefined;
  concurrency: number;
  hookTimeoutMs: number;
}

export async function backupExecTargets(deps: ExecStepDeps, ctx: RunContext): Promise<void> {
  const scope = await resolveProject(deps.engine, deps.project);
  const targets = await discoverExec(deps.engine, scope.project);
  if (targets.length === 0) return;
  ctx.log.info(
    { scope: scope.project ?? "*", targets: targets.map((t) => `${t.name} (${t.container.name})`) },
    `${targets.length} exec target(s) found`,
  );
  const results = await backupEachTarget(deps, ctx, EXEC_KIND, targets, (target) => backupExec(target, deps, ctx));
  const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
  if (errors.length > 0) {
    throw new AggregateBackupError(`${errors.length} of ${targets.length} exec target(s) failed`, errors);
  }
}
