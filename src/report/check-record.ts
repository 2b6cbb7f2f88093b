// The outcome of the last `restic check`, kept in the repository (kind=check): `status` shows damage
// restic found (by pack, with the targets it affects and the repair advice) without the daemon.
import type { Logger } from "pino";
import { logFailure } from "../core/errors.js";
import { readText } from "../restic/read-text.js";
import type { Repository, Snapshot } from "../restic/repository.js";
import { KIND } from "../restic/tags.js";

/** The target= tag of check records: "repository" for the local one (as before), "offsite" for the copy. */
export function checkTarget(repository: "local" | "offsite"): string {
  return repository === "local" ? "repository" : "offsite";
}

export interface CheckRecord {
  runId: string;
  /** Absent in records written before the offsite copy was checked: the local repository. */
  repository?: "local" | "offsite";
  finishedAt: string;
  /** The data subset it read ("5%", "100%"), or undefined for a structure-only check. */
  subset: string | undefined;
  ok: boolean;
  damagedPacks: string[];
  missingPacks: string[];
  /** The targets whose backups hold data in those packs, as messages name them. */
  affected: string[];
  /** What to run to repair it. */
  advice: string[];
  /** Why it failed, when it did. */
  error?: string;
}

/** The newest check record of that repository among the snapshots; undefined when there is none or it is unreadable. */
export async function readLastCheck(
  repository: Repository,
  snapshots: readonly Snapshot[],
  signal: AbortSignal,
  log?: Logger,
  of: "local" | "offsite" = "local",
): Promise<CheckRecord | undefined> {
  const newest = snapshots.filter((s) => s.tags.kind === KIND.check && s.tags.target === checkTarget(of)).at(-1);
  if (!newest) return undefined;
  try {
    return JSON.parse(await readText(repository, newest.id, newest.paths[0] ?? "", signal)) as CheckRecord;
  } catch (error) {
    if (log) logFailure(log, "cannot read the last check record", error, { snapshot: newest.id }, "warn");
    return undefined;
  }
}
