// The status report, from the repository (local and offsite), the last verify record and discovery
// now; the same for `status` standalone and the daemon's /status.
import type { Logger } from "pino";
import { renderError } from "../core/errors.js";
import { evaluateStatus, type StatusReport, type StatusThresholds } from "../report/status.js";
import { readLastCheck } from "../report/check-record.js";
import { readLastVerify } from "../report/verify-record.js";
import type { Repository, Snapshot } from "../restic/repository.js";
import { KIND } from "../restic/tags.js";
import { buildPlan, type PlanDeps } from "./plan.js";

export interface StatusDeps extends PlanDeps {
  repository: Repository;
  offsite: Repository | undefined;
  thresholds: StatusThresholds;
  log: Logger;
}

export async function gatherStatus(deps: StatusDeps, signal: AbortSignal, now = new Date()): Promise<StatusReport> {
  let snapshots: Snapshot[] = [];
  let repositoryError: string | undefined;
  try {
    snapshots = await deps.repository.snapshots(signal);
  } catch (error) {
    repositoryError = renderError(error);
  }
  let current: { kind: string; name: string }[] | undefined;
  let unprotected: string[] = [];
  let discoveryError: string | undefined;
  try {
    const plan = await buildPlan(deps, signal);
    current = [
      ...plan.targets.map((t) => ({ kind: t.kind, name: t.name })),
      ...(plan.volumes?.backup ?? []).map((v) => ({ kind: KIND.volume, name: v.name })),
    ];
    unprotected = plan.volumes?.unprotected ?? [];
  } catch (error) {
    discoveryError = renderError(error);
  }
  const verify = repositoryError ? undefined : await readLastVerify(deps.repository, snapshots, signal, deps.log);
  const check = repositoryError ? undefined : await readLastCheck(deps.repository, snapshots, signal, deps.log);
  const offsiteCheck = repositoryError || !deps.offsite ? undefined : await readLastCheck(deps.repository, snapshots, signal, deps.log, "offsite");
  let offsite: { newest: Date | undefined; error?: string } | undefined;
  if (deps.offsite) {
    try {
      offsite = { newest: (await deps.offsite.snapshots(signal)).at(-1)?.time };
    } catch (error) {
      offsite = { newest: undefined, error: renderError(error) };
    }
  }
  return evaluateStatus(
    { snapshots, repositoryError, current, discoveryError, expected: deps.expected, unprotected, verify, check, offsiteCheck, offsite },
    deps.thresholds,
    now,
  );
}

/**
 * The daemon's /status: one report at a time, reused for a few seconds, so a dashboard polling it
 * never stacks `restic snapshots` calls.
 */
export function statusReporter(deps: StatusDeps, timeoutMs: number, ttlMs = 15_000): () => Promise<StatusReport> {
  let last: { at: number; report: Promise<StatusReport> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at > ttlMs) {
      const report = gatherStatus(deps, AbortSignal.timeout(timeoutMs));
      last = { at: now, report };
      report.catch(() => (last = undefined));
    }
    return last.report;
  };
}
