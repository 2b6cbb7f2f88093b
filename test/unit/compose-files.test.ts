// compose/: the Grafana dashboard and the agent's example env file name only what the agent provides; the
// compose file publishes the agent on loopback only.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VARIABLES } from "../../src/config/schema.js";

const readme = readFileSync("README.md", "utf8");

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: { expr: string }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync("compose/grafana-dashboard.json", "utf8")) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
const metricsUsed = new Set(exprs.flatMap((e) => e.match(/\bbackup_[a-z_]+/g) ?? []));

describe("compose/grafana-dashboard.json", () => {
  it("queries only backup_ metrics the README documents", () => {
    expect(metricsUsed.size).toBeGreaterThan(0);
    expect([...metricsUsed].filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });

  it("shows freshness per target, job outcomes, durations, verification, coverage, size and offsite lag", () => {
    for (const name of [
      "backup_target_last_success_timestamp_seconds",
      "backup_job_runs_total",
      "backup_job_duration_seconds",
      "backup_restore_verify_success",
      "backup_unprotected_volumes",
      "backup_target_last_size_bytes",
      "backup_offsite_last_success_timestamp_seconds",
    ]) {
      expect(metricsUsed, name).toContain(name);
    }
  });

  it("has unique panel ids and every query on the dashboard's Prometheus variable", () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: "datasource", type: "datasource" }));
    const queried = panels.filter((p) => p.type !== "row");
    expect(queried.filter((p) => p.datasource?.uid !== "${datasource}").map((p) => p.title)).toEqual([]);
    expect(queried.filter((p) => !p.targets?.length).map((p) => p.title)).toEqual([]);
  });
});

describe("compose/backup-agent.env.example", () => {
  it("names only variables the agent reads (or their _FILE forms)", () => {
    const names = [...readFileSync("compose/backup-agent.env.example", "utf8").matchAll(/^#?([A-Z][A-Z0-9_]+)=/gm)].map(
      (m) => m[1] as string,
    );
    expect(names.length).toBeGreaterThan(5);
    const known = (name: string) => {
      if (VARIABLES[name]) return true;
      const base = name.replace(/_FILE$/, "");
      const spec = VARIABLES[base];
      return name.endsWith("_FILE") && spec !== undefined && (spec.secret === true || spec.file === true);
    };
    expect(names.filter((name) => !known(name))).toEqual([]);
  });
});

describe("compose/docker-compose.yml", () => {
  it("publishes the agent's port (the status page, /metrics) on the host's loopback only, by default", () => {
    const compose = readFileSync("compose/docker-compose.yml", "utf8");
    const agent = compose.slice(compose.indexOf("  backup-agent:"));
    const published = [...agent.matchAll(/^\s+- \$\{AGENT_METRICS_PUBLISH:-([^}]+)\}:9180$/gm)].map((m) => m[1]);
    expect(published).toEqual(["127.0.0.1:9180"]);
  });
});
