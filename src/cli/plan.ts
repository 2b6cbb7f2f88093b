// `backup-agent plan`: what discovery finds and what a backup would store, changing nothing.

import type { Config } from "../config/load.js";
import type { ContainerInfo, Engine, VolumeLister } from "../docker/engine.js";
import { resolveProject } from "../docker/project.js";
import { discoverExec } from "../targets/exec/discover.js";
import { discoverMeilisearch } from "../targets/meilisearch/discover.js";
import { listDatabases, selectDatabases } from "../targets/postgres/backup.js";
import { discoverPostgres } from "../targets/postgres/discover.js";
import { scanVolumes } from "../targets/volumes/scan.js";

export interface PlannedTarget {
  kind: string;
  name: string;
  container: string;
  state: string;
  details: Record<string, unknown>;
  files: string[];
  problems: string[];
}

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

export async function buildPlan(
  config: Config,
  engine: Engine & VolumeLister,
  signal: AbortSignal,
): Promise<Plan> {
  const scope = await resolveProject(engine, config.targets.project);
  const targets: PlannedTarget[] = [];
  for (const target of await discoverPostgres(engine, scope.project)) {
    const problems = [...target.problems];
    let databases: string[] = [];
    if (!target.container.running) {
      problems.push(`container ${target.container.name} is not running (state: ${target.container.state})`);
    } else {
      try {
        const selection = selectDatabases(target, await listDatabases(engine, target, signal));
        databases = selection.selected;
        problems.push(...selection.problems);
      } catch (error) {
        problems.push(`cannot list databases: ${(error as Error).message}`);
      }
    }
    targets.push({
      kind: "postgres",
      name: target.name,
      container: target.container.name,
      state: target.container.state,
      details: { user: target.user, compress: target.compress, globals: target.globals, databases },
      files: [
        ...(target.globals ? [`postgres/${target.name}/globals.sql`] : []),
        ...databases.map((d) => `postgres/${target.name}/${d}.dump`),
      ],
      problems,
    });
  }
  for (const target of await discoverMeilisearch(engine, scope.project, config.meilisearch.apiKey)) {
    targets.push(planned(target, "meilisearch", { url: target.url, "snapshot dir": target.snapshotDir }, [
      `meilisearch/${target.name}/data.ms.snapshot`,
      `meilisearch/${target.name}/manifest.json`,
    ]));
  }
  for (const target of await discoverExec(engine, scope.project)) {
    targets.push(
      planned(target, "exec", { command: target.command, user: target.user ?? "(the container's)" }, [
        `exec/${target.name}/${target.filename}`,
      ]),
    );
  }
  const scan = await scanVolumes(engine, scope.project, config.volumes);
  const problems: string[] = [];
  for (const expected of config.targets.expected) {
    const [kind, name] = expected.split("/");
    const found = kind === "volume" ? scan.targets.some((t) => t.name === name) : targets.some((t) => t.kind === kind && t.name === name);
    if (!found) problems.push(`expected target ${expected} has no labelled container`);
  }
  const volumes: PlannedVolumes = {
    root: config.volumes.root,
    backup: scan.targets.map((t) => ({ name: t.name, path: t.path, source: t.source })),
    covered: scan.coverage.covered,
    excluded: scan.coverage.excluded,
    unprotected: scan.coverage.unprotected,
  };
  if (targets.length === 0 && volumes.backup.length === 0) {
    problems.push("no labelled target found: nothing would be backed up");
  }
  return { scope: scope.project ?? "*", why: scope.reason, targets, problems, volumes };
}

/** A one-container target as planned: its label problems, plus "not running". */
function planned(
  target: { name: string; container: ContainerInfo; problems: string[] },
  kind: string,
  details: Record<string, unknown>,
  files: string[],
): PlannedTarget {
  const problems = [...target.problems];
  if (!target.container.running) {
    problems.push(`container ${target.container.name} is not running (state: ${target.container.state})`);
  }
  return { kind, name: target.name, container: target.container.name, state: target.container.state, details, files, problems };
}

export function formatPlan(plan: Plan): string {
  const lines = [`Compose project: ${plan.scope} (${plan.why})`, ""];
  for (const t of plan.targets) {
    lines.push(`${t.kind} ${t.name}  container ${t.container} (${t.state})`);
    for (const [k, v] of Object.entries(t.details))
      lines.push(`  ${k}: ${Array.isArray(v) ? v.join(", ") || "(none)" : v}`);
    for (const f of t.files) lines.push(`  would store ${f}`);
    for (const p of t.problems) lines.push(`  PROBLEM: ${p}`);
    lines.push("");
  }
  if (plan.volumes) lines.push(...formatVolumes(plan.volumes));
  for (const p of plan.problems) lines.push(`PROBLEM: ${p}`);
  const count = plan.problems.length + plan.targets.reduce((n, t) => n + t.problems.length, 0);
  lines.push(count ? `${count} problem(s): a backup now would fail.` : "No problems found.");
  return `${lines.join("\n")}\n`;
}

function formatVolumes(v: PlannedVolumes): string[] {
  const lines: string[] = [];
  for (const b of v.backup) lines.push(`volume ${b.name}  from ${b.path} (${b.source})`);
  for (const [name, by] of Object.entries(v.covered)) {
    if (by !== "volume target") lines.push(`volume ${name}  covered as ${by}`);
  }
  for (const name of v.excluded) lines.push(`volume ${name}  excluded by label backup-agent.exclude=true`);
  for (const name of v.unprotected) {
    lines.push(
      `WARNING: volume ${name} is unprotected: mount it under ${v.root} or label it backup-agent.exclude=true`,
    );
  }
  if (lines.length) lines.push("");
  return lines;
}

/** Exit 0 when a backup would run cleanly, 1 when a problem would fail it. */
export async function planCommand(
  config: Config,
  engine: Engine & VolumeLister,
  args: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const plan = await buildPlan(config, engine, AbortSignal.timeout(60_000));
  out.write(args.includes("--json") ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
  return plan.problems.length + plan.targets.reduce((n, t) => n + t.problems.length, 0) ? 1 : 0;
}
