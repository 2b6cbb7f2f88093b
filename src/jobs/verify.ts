// The `verify` job: every kind proves the newest backup of each of its targets (restored into
// throwaway containers and temp dirs, read back against recorded checksums), then the repository is
// checked; the same for the offsite copy (its check, and one PostgreSQL target a week restored from
// it). A failed target never stops the others; the run fails naming each failed target and why.
// Each run leaves a record in the repository.
import { AggregateBackupError, BackupError } from "../core/errors.js";
import type { Job, RunContext } from "../core/job.js";
import { resolveProject } from "../docker/project.js";
import { recordingGauge, VERIFY_TARGET, type VerifyRecord, type VerifyTargetGauge } from "../report/verify-record.js";
import { identityTags, KIND } from "../restic/tags.js";
import { storeText } from "../targets/store.js";
import type { JobDeps } from "./deps.js";
import { expectedNames } from "./expected.js";
import { reapLeftovers } from "./leftovers.js";
import { offsitePlan, verifyIn } from "./verify-targets.js";

export function verifyJob(deps: JobDeps): Job {
  return {
    name: "verify",
    async run(ctx) {
      const now = deps.now ?? Date.now;
      const started = now();
      const gauge = recordingGauge(deps.metrics.verify.verifyTarget);
      let failure: unknown;
      try {
        await verifyAll(deps, gauge, ctx);
      } catch (error) {
        failure = error;
      }
      const ended = now();
      deps.metrics.verify.verifyLast.set(ended / 1000);
      deps.metrics.verify.verifyDuration.set((ended - started) / 1000);
      deps.metrics.verify.verifySuccess.set(failure === undefined ? 1 : 0);
      // An aborted run proved nothing either way: it leaves no record.
      if (!ctx.signal.aborted) {
        const record: VerifyRecord = {
          runId: ctx.runId,
          startedAt: new Date(started).toISOString(),
          finishedAt: new Date(ended).toISOString(),
          ok: failure === undefined,
          durationSeconds: (ended - started) / 1000,
          results: gauge.results(),
          errors: failureLines(failure),
        };
        const tags = [...identityTags({ kind: KIND.verify, target: VERIFY_TARGET, run: ctx.runId }), `result=${record.ok ? "passed" : "failed"}`];
        try {
          await storeText(deps.repository, { parts: [KIND.verify, "result.json"], tags, signal: ctx.signal }, `${JSON.stringify(record, null, 2)}\n`);
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

async function verifyAll(deps: JobDeps, gauge: VerifyTargetGauge, ctx: RunContext): Promise<void> {
  await reapLeftovers(deps.sandbox, deps.engine, ctx.log, deps.leftoverMaxAgeMs);
  const scope = await resolveProject(deps.engine, deps.project);
  const found = await Promise.all(deps.kinds.map(async (kind) => ({ kind, targets: await kind.discover(scope, ctx.signal) })));
  const plan = found.map(({ kind, targets }) => ({ kind, targets, names: [...new Set([...targets.map((t) => t.name), ...expectedNames(kind.name, deps.expected)])].sort() }));
  const counts = plan.map((p) => `${p.names.length} ${p.kind.title} target(s)`).join(", ");
  ctx.log.info({ scope: scope.project ?? "*", ...Object.fromEntries(plan.map((p) => [p.kind.name, p.names])) }, `verifying ${counts}`);
  if (plan.every((p) => p.names.length === 0)) {
    throw new BackupError(`nothing to verify: ${plan.map((p) => p.kind.howToEnable).join("; ")}`);
  }
  const errors = await verifyIn({ name: "local", repository: deps.repository, recordIn: deps.repository }, plan, deps, ctx, scope, gauge);
  if (deps.offsite) {
    // What a disaster restores from: its data checked, and one PostgreSQL target a week restored from it.
    const rotating = offsitePlan(plan, ctx.startedAt);
    ctx.log.info({ repository: deps.offsite.display, targets: rotating.flatMap((p) => p.names) }, "verifying the offsite copy");
    errors.push(...(await verifyIn({ name: "offsite", repository: deps.offsite, recordIn: deps.repository }, rotating, deps, ctx, scope, gauge)));
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateBackupError(`${errors.length} target(s) failed verify`, errors);
}
