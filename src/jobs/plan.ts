// What discovery finds and what a backup would store, changing nothing: every kind's planned targets,
// the project's volumes (backed up, covered, excluded, unprotected) and the expectations not met.
import type { VolumeLister } from "../docker/engine.js";
import { type Engine } from "../docker/engine.js";
import { resolveProject } from "../docker/project.js";
import type { Kind, PlannedTarget } from "../targets/kind.js";
import { scanCoverage } from "./coverage.js";
import { labelProblemsInScope } from "./labels.js";

export interface Plan {
  scope: string;
  why: string;
  targets: PlannedTarget[];
  problems: string[];
  /** Volumes of the project: which are backed up (and from where), covered, excluded or unprotected. */
  volumes?: PlannedVolumes;
}

export interface PlannedVolumes {
  root: string;
  backup: { name: string; path: string; source: string }[];
  covered: Record<string, string>;
  excluded: string[];
  unprotected: string[];
}

export interface PlanDeps {
  kinds: readonly Kind[];
  engine: Engine & VolumeLister;
  project: string | undefined;
  expected: readonly string[];
  volumesRoot: string;
}

export async function buildPlan(deps: PlanDeps, signal: AbortSignal): Promise<Plan> {
  const scope = await resolveProject(deps.engine, deps.project);
  const { coverage, targets: found } = await scanCoverage(deps.kinds, deps.engine, scope, signal);
  const planned: PlannedTarget[] = [];
  for (const kind of deps.kinds) {
    for (const target of found.get(kind.name) ?? []) planned.push(await kind.plan(target, signal));
  }
  const problems: string[] = await labelProblemsInScope(deps.kinds, deps.engine, scope);
  for (const expected of deps.expected) {
    const slash = expected.indexOf("/");
    const [kind, name] = [expected.slice(0, slash), expected.slice(slash + 1)];
    const why = deps.kinds.find((k) => k.name === kind)?.whyMissing ?? "is not found";
    if (!planned.some((t) => t.kind === kind && t.name === name)) problems.push(`expected target ${expected} is not found: ${why}`);
  }
  const volumes: PlannedVolumes = {
    root: deps.volumesRoot,
    backup: planned.flatMap((t) => (t.volume ? [{ name: t.name, ...t.volume }] : [])),
    covered: coverage.covered,
    excluded: coverage.excluded,
    unprotected: coverage.unprotected,
  };
  const targets = planned.filter((t) => !t.volume);
  for (const t of planned.filter((p) => p.volume)) problems.push(...t.problems.map((p) => `volume ${t.name}: ${p}`));
  if (targets.length === 0 && volumes.backup.length === 0) problems.push("no labelled target found: nothing would be backed up");
  return { scope: scope.project ?? "*", why: scope.reason, targets, problems, volumes };
}

export function formatPlan(plan: Plan): string {
  const lines = [`Compose project: ${plan.scope} (${plan.why})`, ""];
  for (const t of plan.targets) {
    lines.push(`${t.kind} ${t.name}  container ${t.container} (${t.state})`);
    for (const [k, v] of Object.entries(t.details)) lines.push(`  ${k}: ${Array.isArray(v) ? v.join(", ") || "(none)" : v}`);
    for (const f of t.files) lines.push(`  would store ${f}`);
    for (const p of t.problems) lines.push(`  PROBLEM: ${p}`);
    lines.push("");
  }
  if (plan.volumes) lines.push(...formatVolumes(plan.volumes));
  for (const p of plan.problems) lines.push(`PROBLEM: ${p}`);
  const count = planProblems(plan);
  lines.push(count ? `${count} problem(s): a backup now would fail.` : "No problems found.");
  return `${lines.join("\n")}\n`;
}

/** How many problems would fail a backup now. */
export function planProblems(plan: Plan): number {
  return plan.problems.length + plan.targets.reduce((n, t) => n + t.problems.length, 0);
}

function formatVolumes(v: PlannedVolumes): string[] {
  const lines: string[] = [];
  for (const b of v.backup) lines.push(`volume ${b.name}  from ${b.path} (${b.source})`);
  for (const [name, by] of Object.entries(v.covered)) {
    if (by !== "volume target") lines.push(`volume ${name}  covered as ${by}`);
  }
  for (const name of v.excluded) lines.push(`volume ${name}  excluded by label backup-agent.exclude=true`);
  for (const name of v.unprotected) {
    lines.push(`WARNING: volume ${name} is unprotected: mount it under ${v.root} or label it backup-agent.exclude=true`);
  }
  if (lines.length) lines.push("");
  return lines;
}
