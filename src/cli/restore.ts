// `backup-agent restore postgres|volume|all …`: parses, asks the kinds for a plan, prints it, confirms,
// then lets each kind apply its part. Nothing is touched before every plan is made and confirmed.
import { randomUUID } from "node:crypto";
import { BackupError, UsageError } from "../core/errors.js";
import { resolveProject } from "../docker/project.js";
import { type ProgressSink, ttyProgress } from "../restic/progress.js";
import type { Snapshot } from "../restic/repository.js";
import { type Kind, NoBackupError, type RestorePlan, type RestoreRun, type Scope } from "../targets/kind.js";
import { reapLeftovers } from "../jobs/leftovers.js";
import type { App } from "./app.js";
import { confirmRestore, withInterrupt } from "./confirm.js";
import type { AllRestoreArgs, RestoreArgs } from "./restore-args.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

/** Exit codes: 0 restored, 1 a restore failed or was declined, 64 no confirmation (arguments: parseRestoreArgs). */
export async function restoreCommand(app: App, parsed: RestoreArgs): Promise<number> {
  const repository = parsed.from === "offsite" ? app.offsite : app.repository;
  if (!repository) throw new UsageError("restore --from offsite: no offsite repository is configured (BACKUP_OFFSITE_REPOSITORY)");
  return withInterrupt(async (signal) => {
    const runId = `restore-${randomUUID()}`;
    await reapLeftovers(app.sandbox, app.engine, app.logger, app.config.jobs.verify.timeoutMs);
    const scope = await resolveProject(app.engine, app.config.targets.project);
    const snapshots = await repository.snapshots(signal);
    out(`Reading the ${parsed.from} repository ${repository.display} (${snapshots.length} snapshots).`);
    const bars: ProgressSink[] = [];
    const run: RestoreRun = {
      runId,
      signal,
      log: app.logger,
      repository,
      scope,
      progress: (part) => {
        const bar = ttyProgress(`restoring ${part}`);
        bars.push(bar);
        return bar.enabled ? bar.update : undefined;
      },
      say: (line) => {
        for (const bar of bars) bar.done();
        out(line);
      },
    };
    try {
      const plans = parsed.kind === "all" ? await planAll(app, parsed, scope, snapshots, run) : [await planOne(app, parsed, scope, snapshots, run)];
      // Only a restore that replaces live data is confirmed: a new or empty directory risks nothing.
      if (plans.some((p) => p.live) && !(await confirmRestore(parsed.yes))) {
        out("Nothing was restored.");
        return 1;
      }
      for (const kind of app.kinds) {
        const mine = plans.filter((p) => p.kind === kind.name);
        if (mine.length) await restorer(kind).apply(mine, run);
      }
      return 0;
    } finally {
      for (const bar of bars) bar.done();
    }
  });
}

function restorer(kind: Kind) {
  if (!kind.restore) throw new UsageError(`restore: ${kind.name} targets are restored by hand (see the README)`);
  return kind.restore;
}

async function planOne(app: App, args: Exclude<RestoreArgs, AllRestoreArgs>, scope: Scope, snapshots: readonly Snapshot[], run: RestoreRun) {
  const kind = app.kinds.find((k) => k.name === args.kind) as Kind;
  const name = args.kind === "postgres" ? args.service : args.volume;
  const target = (await kind.discover(scope, run.signal)).find((t) => t.name === name);
  const request = { name, at: args.at, snapshot: args.snapshot, database: args.kind === "postgres" ? args.database : undefined, to: args.kind === "volume" ? args.to : undefined, toContainer: args.kind === "postgres" ? args.toContainer : undefined, pointInTime: args.kind === "postgres" && args.at !== undefined };
  const plan = await restorer(kind).plan(request, target, snapshots, run);
  for (const line of plan.lines) out(line);
  return plan;
}

/** Every target of every kind that restores, to its newest backup (at or before the time, when given). */
async function planAll(app: App, args: AllRestoreArgs, scope: Scope, snapshots: readonly Snapshot[], run: RestoreRun) {
  const when = args.at ? `at or before ${args.at.toISOString()}` : "of each target";
  const plans: RestorePlan[] = [];
  const missing: string[] = [];
  for (const kind of app.kinds.filter((k) => k.restore)) {
    for (const target of await kind.discover(scope, run.signal)) {
      try {
        plans.push(await restorer(kind).plan({ name: target.name, at: args.at }, target, snapshots, run));
      } catch (error) {
        if (!(error instanceof NoBackupError)) throw error;
        missing.push(kind.describe(target.name));
      }
    }
  }
  if (plans.length === 0) throw new BackupError(`restore all: no backup ${args.at ? when : "at all"} of any target in scope`);
  out(`Restore every target to its newest backup ${when}:`);
  for (const plan of plans) for (const line of plan.lines) out(line);
  if (!args.at) {
    const newest = plans.reduce((t, p) => (p.time > t ? p.time : t), new Date(0));
    out(`Resolved to the newest backups, the latest of them from ${newest.toISOString()} (see each target above).`);
  }
  for (const m of missing) out(`Not restored (no backup ${args.at ? when : "at all"}): ${m}`);
  return plans;
}
