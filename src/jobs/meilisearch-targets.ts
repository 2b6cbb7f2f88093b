// The Meilisearch step of the `backup` job: discover, check expectations, snapshot every target under
// the concurrency limit. A failed target never stops the others; the step fails naming each.
import { AggregateBackupError } from "../core/errors.js";
import type { RunContext } from "../core/job.js";
import { checkExpectedTargets } from "./expected.js";
import { resolveProject } from "../docker/project.js";
import { backupMeilisearch, MEILISEARCH_KIND, type MeiliDeps } from "../targets/meilisearch/backup.js";
import { discoverMeilisearch } from "../targets/meilisearch/discover.js";
import { backupEachTarget } from "./each-target.js";

export interface MeiliStepDeps extends MeiliDeps {
  project: string | undefined;
  expected: readonly string[];
  concurrency: number;
  hookTimeoutMs: number;
}

export async function backupMeilisearchTargets(deps: MeiliStepDeps, ctx: RunContext): Promise<void> {
  const scope = await resolveProject(deps.engine, deps.project);
  const targets = await discoverMeilisearch(deps.engine, scope.project, deps.meilisearch.apiKey);
  ctx.log.info(
    {
      scope: scope.project ?? "*",
      why: scope.reason,
      targets: targets.map((t) => `${t.name} (${t.container.name}, ${t.url})`),
    },
    `${targets.length} Meilisearch target(s) found`,
  );
  const errors: Error[] = checkExpectedTargets(MEILISEARCH_KIND, targets, deps.expected, deps.metrics);
  if (targets.length === 0 && errors.length === 0) {
    ctx.log.info(
      { scope: scope.project ?? "*" },
      "no container is labelled backup-agent.meilisearch=true: no search index was snapshotted",
    );
  }
  const results = await backupEachTarget(deps, ctx, MEILISEARCH_KIND, targets, (target) =>
    backupMeilisearch(target, deps, ctx),
  );
  for (const result of results) {
    if (result.status === "rejected") errors.push(result.reason as Error);
  }
  if (errors.length > 0) {
    const missing = errors.length - results.filter((r) => r.status === "rejected").length;
    throw new AggregateBackupError(
      `${errors.length} of ${targets.length + missing} Meilisearch target(s) failed`,
      errors,
    );
  }
}
