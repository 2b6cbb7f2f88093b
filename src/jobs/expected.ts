// BACKUP_EXPECTED_TARGETS against what discovery found: a missing target is an error, never a gap.
import { BackupError } from "../core/errors.js";
import type { Kind, Target } from "../targets/kind.js";

/** The names in `expected` (`kind/name` entries) of this kind. */
export function expectedNames(kind: string, expected: readonly string[]): string[] {
  return expected.filter((e) => e.startsWith(`${kind}/`)).map((e) => e.slice(kind.length + 1));
}

/**
 * One error per expected target of the kind that discovery did not find, and a problem on each
 * target whose name more than one container claims.
 */
export function checkExpectedTargets(kind: Kind, targets: readonly Target[], expected: readonly string[]): BackupError[] {
  const errors: BackupError[] = [];
  for (const name of expectedNames(kind.name, expected)) {
    if (!targets.some((t) => t.name === name)) {
      errors.push(new BackupError(`${kind.describe(name)} is expected but ${kind.whyMissing}`, { target: name }));
    }
  }
  const seen = new Set<string>();
  for (const target of targets) {
    if (seen.has(target.name)) target.problems.push(`more than one labelled container serves "${target.name}": label only one replica`);
    seen.add(target.name);
  }
  return errors;
}
