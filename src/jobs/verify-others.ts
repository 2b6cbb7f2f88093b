// The volume, Meilisearch and repository steps of the `verify` job. Each target gets its own result in
// backup_restore_verify_target_success; a failed one never stops the others.
import { BackupError } from "../core/errors.js";
import type { RunContext } from "../core/job.js";
import { settleWithLimit } from "../core/limit.js";
import type { Engine, VolumeLister } from "../docker/engine.js";
import type { VerifyTargetGauge } from "../report/verify-record.js";
import type { RepositoryMetrics } from "../report/repository-metrics.js";
import type { ResticRepository } from "../restic/repository.js";
import type { Snapshot } from "../restic/snapshots.js";
import { MEILISEARCH_KIND } from "../targets/meilisearch/backup.js";
import { discoverMeilisearch } from "../targets/meilisearch/discover.js";
import { verifyMeilisearch } from "../targets/meilisearch/verify.js";
import { discoverVolumes, VOLUME_KIND } from "../targets/volumes/discover.js";
import { verifyVolume } from "../targets/volumes/verify.js";

export interface OtherVerifyDeps {
  engine: Engine & VolumeLister;
  repository: ResticRepository;
  metrics: { verifyTarget: VerifyTargetGauge };
  expected: readonly string[];
  concurrency: number;
  volumes?: { root: string; names: readonly string[] };
  checkSubset?: string;
  repositoryMetrics?: Pick<RepositoryMetrics, "checked">;
}

/** Discovered targets of a kind plus the expected ones (`kind/name`), sorted, without duplicates. */
function withExpected(kind: string, found: readonly string[], expected: readonly string[]): string[] {
  const names = new Set(found);
  for (const e of expected) if (e.startsWith(`${kind}/`)) names.add(e.slice(kind.length + 1));
  return [...names].sort();
}

/** The names of the volume and Meilisearch targets in scope, for the log line and "nothing to verify". */
export async function discoverOthers(
  deps: OtherVerifyDeps,
  project: string | undefined,
): Promise<{ volumes: string[]; meilisearch: string[] }> {
  const volumes = deps.volumes
    ? (await discoverVolumes(deps.engine, project, deps.volumes.root, deps.volumes.names)).targets.map((t) => t.name)
    : [];
  const meili = (await discoverMeilisearch(deps.engine, project, undefined)).map((t) => t.name);
  return {
    volumes: withExpected(VOLUME_KIND, volumes, deps.expected),
    meilisearch: withExpected(MEILISEARCH_KIND, meili, deps.expected),
  };
}

async function each(
  deps: OtherVerifyDeps,
  kind: string,
  names: readonly string[],
  verify: (name: string) => Promise<void>,
  ctx: RunContext,
): Promise<Error[]> {
  const results = await settleWithLimit(names, deps.concurrency, async (name) => {
    try {
      await verify(name);
      deps.metrics.verifyTarget.set({ kind, target: name, database: "" }, 1);
    } catch (error) {
      deps.metrics.verifyTarget.set({ kind, target: name, database: "" }, 0);
      ctx.log.error({ target: name, kind, err: error }, `verify of ${kind} ${name} failed`);
      throw error;
    }
  });
  return results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
}

export function verifyVolumes(
  deps: OtherVerifyDeps,
  names: readonly string[],
  snapshots: readonly Snapshot[],
  ctx: RunContext,
): Promise<Error[]> {
  return each(deps, VOLUME_KIND, names, (name) => verifyVolume(name, deps.repository.env, snapshots, ctx), ctx);
}

export function verifyMeilisearchTargets(
  deps: OtherVerifyDeps,
  names: readonly string[],
  snapshots: readonly Snapshot[],
  ctx: RunContext,
): Promise<Error[]> {
  return each(
    deps,
    MEILISEARCH_KIND,
    names,
    (name) => verifyMeilisearch(name, deps.repository.env, snapshots, ctx),
    ctx,
  );
}

/** `restic check --read-data-subset` (BACKUP_CHECK_SUBSET); its result is also the repository metric. */
export async function verifyRepository(deps: OtherVerifyDeps, ctx: RunContext): Promise<Error[]> {
  const subset = deps.checkSubset;
  try {
    await deps.repository.check(ctx.signal, subset);
    deps.repositoryMetrics?.checked(true);
    deps.metrics.verifyTarget.set({ kind: "repository", target: "local", database: "" }, 1);
    ctx.log.info({ subset }, "repository check passed");
    return [];
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    deps.repositoryMetrics?.checked(false);
    deps.metrics.verifyTarget.set({ kind: "repository", target: "local", database: "" }, 0);
    return [
      new BackupError(
        `repository ${deps.repository.display}: restic check${subset ? ` --read-data-subset=${subset}` : ""} failed: ${(error as Error).message}`,
        { target: "repository", cause: error },
      ),
    ];
  }
}
