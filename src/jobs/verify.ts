// The `verify` job: restore the newest backup of every PostgreSQL target into a throwaway container of
// its own image and compare it with what was recorded at backup time; restore every volume's newest
// snapshot into a temp dir and count it; read back every Meilisearch snapshot against its checksum;
// then `restic check --read-data-subset`. A failed target never stops the others; the run fails
// naming each failed target and why.
import { AggregateBackupError, BackupError } from "../core/errors.js";
import type { Job } from "../core/job.js";
import { settleWithLimit } from "../core/limit.js";
import type { Engine, VolumeLister } from "../docker/engine.js";
import { resolveProject } from "../docker/project.js";
import type { Sandbox } from "../docker/sandbox.js";
import type { Metrics } from "../report/metrics.js";
import { recordingGauge, storeVerifyRecord, type VerifyRecord, type VerifyTargetGauge } from "../report/verify-record.js";
import type { ResticRepository } from "../restic/repository.js";
import { listSnapshots } from "../restic/snapshots.js";
import { discoverPostgres } from "../targets/postgres/discover.js";
import { verifyPostgres } from "../targets/postgres/verify.js";
import {
  discoverOthers,
  type OtherVerifyDeps,
  verifyMeilisearchTargets,
  verifyRepository,
  verifyVolumes,
} from "./verify-others.js";

export interface VerifyJobDeps extends Omit<OtherVerifyDeps, "metrics"> {
  engine: Engine & VolumeLister;
  sandbox: Sandbox;
  repository: ResticRepository;
  metrics: Pick<Metrics, "verifyLast" | "verifySuccess" | "verifyDuration"> & { verifyTarget: VerifyTargetGauge };
  /** The restic --host of the verify record. */
  host: string;
  project: string | undefined;
  expected: readonly string[];
  concurrency: number;
  now?: () => number;
}

export function verifyJob(deps: VerifyJobDeps): Job {
  return {
    name: "verify",
    async run(ctx) {
      const now = deps.now ?? Date.now;
      const started = now();
      const verifyTarget = recordingGauge(deps.metrics.verifyTarget);
      let failure: unknown;
      try {
        await verifyAll({ ...deps, metrics: { ...deps.metrics, verifyTarget } }, ctx);
      } catch (error) {
        failure = error;
      }
      const ended = now();
      deps.metrics.verifyLast.set(ended / 1000);
      deps.metrics.verifyDuration.set((ended - started) / 1000);
      deps.metrics.verifySuccess.set(failure === undefined ? 1 : 0);
      // An aborted run proved nothing either way: it leaves no record.
      if (!ctx.signal.aborted) {
        const record: VerifyRecord = {
          runId: ctx.runId,
          startedAt: new Date(started).toISOString(),
          finishedAt: new Date(ended).toISOString(),
          ok: failure === undefined,
          durationSeconds: (ended - started) / 1000,
          results: verifyTarget.results(),
          errors: failureLines(failure),
        };
        try {
          await storeVerifyRecord(deps.repository, deps.host, record, ctx.signal);
        } catch (error) {
          const stored = new BackupError("the verify result could not be stored in the repository (status will not see it)", { cause: error });
          failure = failure === undefined ? stored : new AggregateBackupError("verify", [failure as Error, stored]);
        }
      }
      if (failure !== undefined) throw failure;
    },
  };
}

function failureLines(failure: unknown): string[] {
  if (failure === undefined) return [];
  if (failure instanceof AggregateBackupError) return failure.errors.map((e) => e.message);
  return [(failure as Error).message ?? String(failure)];
}

async function verifyAll(deps: VerifyJobDeps, ctx: Parameters<Job["run"]>[0]): Promise<void> {
  const scope = await resolveProject(deps.engine, deps.project);
  const targets = await discoverPostgres(deps.engine, scope.project);
  const others = await discoverOthers(deps, scope.project);
  const snapshots = await listSnapshots(deps.repository.env, ctx.signal);
  ctx.log.info(
    {
      scope: scope.project ?? "*",
      targets: targets.map((t) => t.name),
      volumes: others.volumes,
      meilisearch: others.meilisearch,
      snapshots: snapshots.length,
    },
    `verifying ${targets.length} PostgreSQL target(s), ${others.volumes.length} volume(s), ${others.meilisearch.length} Meilisearch target(s)`,
  );
  const errors: Error[] = [];
  for (const expected of deps.expected.filter((e) => e.startsWith("postgres/"))) {
    const name = expected.slice("postgres/".length);
    if (!targets.some((t) => t.name === name)) {
      deps.metrics.verifyTarget.set({ kind: "postgres", target: name, database: "" }, 0);
      errors.push(
        new BackupError(
          `postgres target "${name}" is expected but no labelled container exists to verify with`,
          {
            target: name,
          },
        ),
      );
    }
  }
  const total = targets.length + others.volumes.length + others.meilisearch.length;
  if (total === 0 && errors.length === 0) {
    throw new BackupError(
      "nothing to verify: no container is labelled backup-agent.postgres=true or backup-agent.meilisearch=true, and no volume is mounted under the volume root",
    );
  }
  // The three kinds run side by side (each under the concurrency limit), then the repository check.
  const [postgres, meilisearch, volumes] = await Promise.all([
    settleWithLimit(targets, deps.concurrency, async (target) => {
      const set = (database: string, ok: boolean) =>
        deps.metrics.verifyTarget.set({ kind: "postgres", target: target.name, database }, ok ? 1 : 0);
      try {
        await verifyPostgres(
          target,
          { engine: deps.engine, sandbox: deps.sandbox, restic: deps.repository.env },
          snapshots,
          { runId: ctx.runId, signal: ctx.signal, log: ctx.log },
          (verdict) => set(verdict.database, verdict.ok),
        );
        set("", true);
      } catch (error) {
        set("", false);
        throw error;
      }
    }),
    verifyMeilisearchTargets(deps, others.meilisearch, snapshots, ctx),
    verifyVolumes(deps, others.volumes, snapshots, ctx),
  ]);
  for (const result of postgres) if (result.status === "rejected") errors.push(result.reason as Error);
  errors.push(...meilisearch, ...volumes);
  ctx.signal.throwIfAborted();
  errors.push(...(await verifyRepository(deps, ctx)));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new AggregateBackupError(`${errors.length} target(s) failed verify`, errors);
  }
}
