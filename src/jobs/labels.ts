// Every label in scope that would silently do nothing (see targets/label-lint.ts), on containers and
// on the project's volumes: `plan` lists them, and a `backup` run fails naming each.
import { AggregateBackupError, BackupError } from "../core/errors.js";
import type { Engine, VolumeLister } from "../docker/engine.js";
import { THROWAWAY_LABEL } from "../docker/sandbox.js";
import type { Kind, Scope } from "../targets/kind.js";
import { labelProblems } from "../targets/label-lint.js";
import { labelRules } from "../targets/registry.js";

/** `container X: label K=V: why` and `volume Y: label …`, sorted by what they are on. */
export async function labelProblemsInScope(kinds: readonly Kind[], engine: Engine & VolumeLister, scope: Scope): Promise<string[]> {
  const rules = labelRules(kinds);
  const problems: string[] = [];
  for (const c of await engine.listContainers(undefined, scope.project)) {
    // The agent's own throwaway containers carry its own labels only.
    if (c.labels[THROWAWAY_LABEL] === "true") continue;
    problems.push(...labelProblems(c.labels, rules.container).map((p) => `container ${c.name}: ${p}`));
  }
  for (const v of await engine.listVolumes(scope.project)) {
    problems.push(...labelProblems(v.labels, rules.volume).map((p) => `volume ${v.name}: ${p}`));
  }
  return problems.sort();
}

/** Fails (after the targets were backed up) when any label in scope cannot work as written. */
export async function checkLabels(kinds: readonly Kind[], engine: Engine & VolumeLister, scope: Scope): Promise<void> {
  const problems = await labelProblemsInScope(kinds, engine, scope);
  if (problems.length === 1) throw new BackupError(`a label would do nothing: ${problems[0]}`);
  if (problems.length > 1) throw new AggregateBackupError(`${problems.length} labels would do nothing`, problems.map((p) => new BackupError(p)));
}
