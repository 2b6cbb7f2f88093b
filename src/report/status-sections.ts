// The parts of the status report about the repository as a whole: the last verify, the offsite
// copy's lag, the last restic check. Each adds its problems and returns its section.
import type { Snapshot } from "../restic/repository.js";
import type { CheckRecord } from "./check-record.js";
import type { CheckSection, Problem, StatusInput, StatusReport, StatusThresholds } from "./status-types.js";

export const hours = (ms: number) => `${Math.round((ms / 3_600_000) * 10) / 10} h`;

export function verifySection(
  input: StatusInput,
  verified: ReadonlyMap<string, boolean>,
  data: readonly Snapshot[],
  t: StatusThresholds,
  now: Date,
  problem: Problem,
): StatusReport["verify"] {
  if (!input.verify) {
    const oldest = data[0];
    if (oldest && now.getTime() - oldest.time.getTime() > t.verifyMaxAgeMs) {
      problem("WARNING", `no verify has ever run, and backups exist for ${hours(now.getTime() - oldest.time.getTime())}`);
    }
    return undefined;
  }
  const failed = [...verified.entries()].filter(([, ok]) => !ok).map(([k]) => k);
  if (!input.verify.ok) problem("WARNING", `the last verify (${input.verify.finishedAt}) failed: ${input.verify.errors.join("; ") || "see its log"}`);
  const age = now.getTime() - Date.parse(input.verify.finishedAt);
  if (age > t.verifyMaxAgeMs) problem("WARNING", `the last verify ran ${hours(age)} ago (warning after ${hours(t.verifyMaxAgeMs)})`);
  return { lastRun: input.verify.finishedAt, ok: input.verify.ok, failed };
}

export function offsiteSection(input: StatusInput, data: readonly Snapshot[], t: StatusThresholds, problem: Problem): StatusReport["offsite"] {
  if (!input.offsite) return undefined;
  const localNewest = data.at(-1)?.time;
  const lagMs = localNewest && input.offsite.newest ? Math.max(0, localNewest.getTime() - input.offsite.newest.getTime()) : undefined;
  const offsite: NonNullable<StatusReport["offsite"]> = {
    newest: input.offsite.newest?.toISOString(),
    lagSeconds: lagMs === undefined ? undefined : Math.round(lagMs / 1000),
  };
  if (input.offsite.error) {
    offsite.error = input.offsite.error;
    problem("WARNING", `cannot read the offsite repository: ${input.offsite.error}`);
  } else if (!input.offsite.newest && localNewest) problem("WARNING", "the offsite repository holds no backup yet");
  else if (lagMs !== undefined && lagMs > t.offsiteMaxLagMs) {
    problem("WARNING", `offsite is ${hours(lagMs)} behind the local repository (warning after ${hours(t.offsiteMaxLagMs)})`);
  }
  return offsite;
}

export function checkSection(c: CheckRecord | undefined, problem: Problem): CheckSection | undefined {
  if (!c) return undefined;
  const which = c.repository === "offsite" ? "offsite repository" : "repository";
  if (!c.ok) problem("WARNING", `the last ${which} check (${c.finishedAt}) failed: ${c.error ?? "see its log"}`);
  return { lastRun: c.finishedAt, ok: c.ok, damagedPacks: c.damagedPacks, missingPacks: c.missingPacks, affected: c.affected, advice: c.advice };
}
