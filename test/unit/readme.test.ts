import { PitrMetrics } from "../../src/report/pitr-metrics.js";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VARIABLES } from "../../src/config/schema.js";
import { JOB_NAMES } from "../../src/core/job.js";
import { Metrics } from "../../src/report/metrics.js";
import { RepositoryMetrics } from "../../src/report/repository-metrics.js";
import { TargetMetrics } from "../../src/report/target-metrics.js";

const readme = readFileSync("README.md", "utf8");

describe("README", () => {
  it("documents every configuration variable", () => {
    const documented = (name: string) =>
      readme.includes(`\`${name}\``) ||
      readme.includes(`\`${name.replace(/_(POSTGRES|BACKUP|OFFSITE|VERIFY|CHECK|WAL|BASEBACKUP)_/, "_<JOB>_")}\``);
    expect(Object.keys(VARIABLES).filter((name) => !documented(name))).toEqual([]);
  });

  it("documents every backup_ metric", async () => {
    const metrics = new Metrics(JOB_NAMES, "test");
    new TargetMetrics(metrics.registry);
    const repository = new RepositoryMetrics(metrics.registry);
    new PitrMetrics(metrics.registry).walStored("db", new Date(), 1);
    repository.checked(true, "local");
    repository.checked(true, "offsite");
    repository.offsiteLastSuccess.set(1);
    for (const late of [metrics.verifyLast, metrics.verifySuccess, metrics.verifyDuration]) late.set(1);
    const names = (await metrics.registry.getMetricsAsJSON())
      .map((m) => m.name)
      .filter((n) => n.startsWith("backup_"));
    expect(names.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });
});
