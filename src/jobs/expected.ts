// Checks shared by every target step: expected targets that have no container, and replicas.
import { BackupError } from "../core/errors.js";
import type { TargetMetrics } from "../report/target-metrics.js";

/**
 * One error (and one failure count) per `kind/name` in `expected` that no discovered target has,
 * and a problem on each target whose name more than one container claims.
 */
export function checkExpectedTargets(
  kind: string,
  targets: readonly { name: string; problems: string[] }[],
  expected: readonly string[],
  metrics: TargetMetrics,
): BackupError[] {
  const errors: BackupError[] = [];
  const prefix = `${kind}/`;
  for (const entry of expected.filter((e) => e.startsWith(prefix))) {
    const name = entry.slice(prefix.length);
    if (!targets.some((t) => t.name === name)) {
      metrics.failure({ kind, target: name, database: "" });
      errors.push(new BackupError(`${kind} target "${name}" is expected but no labelled container exists`, { target: name }));
    }
  }
  const seen = new Set<string>();
  for (const target of targets) {
    if (seen.has(target.name)) {
      target.problems.push(`more than one labelled container serves "${target.name}": label only one replica`);
    }
    seen.add(target.name);
  }
  return errors;
}
