// The `verify` job: restore the newest backup of every PostgreSQL target into a throwaway container of
// its own image and compare it with what was recorded at backup time. A failed target never stops the
// others; the run fails naming each failed target and why.
import { AggregateBackupError, BackupError } from "../core/errors.js";
import type { Job } from "../core/job.js";
import { settleWithLimit } from "../core/limit.js";
import type { Engine } from "../docker/engine.js";
import { resolveProject } from "../docker/project.js";
import type { Sandbox } from "../docker/sandbox.js";
import type { Metrics } from "../report/metrics.js";
import type { ResticRepository } from "../restic/repository.js";
import { listSnapshots } from "../restic/snapshots.js";
import { discoverPostgres } from "../targets/postgres/discover.js";
import { verifyPostgres } from "../targets/postgres/verify.js";

export interface VerifyJobDeps {
  engine: Engine;
  sandbox: Sandbox;
  repository: ResticRepository;
  metrics: Pick<Metrics, "verifyLast" | "verifySuccess" | "verifyDuration" | "verifyTarget">;
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
      let ok = false;
      try {
        await verifyAll(deps, ctx);
        ok = true;
      } finally {
        const ended = now();
        deps.metrics.verifyLast.set(ended / 1000);
        deps.metrics.verifyDuration.set((ended - started) / 1000);
        deps.metrics.verifySuccess.set(ok ? 1 : 0);
      }
    },
  };
}

async function verifyAll(deps: VerifyJobDeps, ctx: Parameters<Job["run"]>[0]): Promise<void> {
  const scope = await resolveProject(deps.engine, deps.project);
  const targets = await discoverPostgres(deps.engine, scope.project);
  const snapshots = await listSnapshots(deps.repository.env, ctx.signal);
  ctx.log.info(
    { scope: scope.project ?? "*", targets: targets.map((t) => t.name), snapshots: snapshots.length },
    `verifying ${targets.length} PostgreSQL target(s)`,
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
  if (targets.length === 0 && errors.length === 0) {
    throw new BackupError("nothing to verify: no container is labelled backup-agent.postgres=true");
  }
  const results = await settleWithLimit(targets, deps.concurrency, async (target) => {
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
  });
  for (const result of results) if (result.status === "rejected") errors.push(result.reason as Error);
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new AggregateBackupError(`${errors.length} PostgreSQL target(s) failed verify`, errors);
  }
}
