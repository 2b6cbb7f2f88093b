// JobDeps for unit tests of the jobs: the real kinds over the fake Docker, a memory repository, and
// real metrics in their own registry.
import { PitrMetrics } from "../../src/report/pitr-metrics.js";
import type { JobDeps } from "../../src/jobs/deps.js";
import { CoverageMetrics } from "../../src/report/coverage-metrics.js";
import { Metrics } from "../../src/report/metrics.js";
import { RepositoryMetrics } from "../../src/report/repository-metrics.js";
import { TargetMetrics } from "../../src/report/target-metrics.js";
import { JOB_NAMES } from "../../src/core/job.js";
import { MemoryRepository } from "../../src/restic/memory-repository.js";
import type { Kind } from "../../src/targets/kind.js";
import { execKind } from "../../src/targets/exec/kind.js";
import { postgresKind } from "../../src/targets/postgres/kind.js";
import type { FakeDocker } from "./fake-docker.js";

export function fakeJobDeps(docker: FakeDocker, extra: Partial<JobDeps> = {}): JobDeps & { repository: MemoryRepository; registry: Metrics["registry"] } {
  const metrics = new Metrics(JOB_NAMES, "test");
  const kinds: Kind[] = [postgresKind({ engine: docker, sandbox: docker, hookTimeoutMs: 5_000, walMaxRetained: "8GB", rowCounts: false }), execKind({ engine: docker, sandbox: docker, hookTimeoutMs: 5_000 })] as Kind[];
  return {
    kinds,
    engine: docker,
    sandbox: docker,
    leftoverMaxAgeMs: 3_600_000,
    repository: new MemoryRepository("memory:local"),
    offsite: undefined,
    metrics: {
      targets: new TargetMetrics(metrics.registry),
      coverage: new CoverageMetrics(metrics.registry),
      repository: new RepositoryMetrics(metrics.registry),
      pitr: new PitrMetrics(metrics.registry),
      verify: metrics,
    },
    project: "shop",
    expected: [],
    concurrency: 2,
    checkSubset: "5%",
    retention: { local: {}, offsite: {} },
    volumesRoot: "/volumes",
    walMaxRetained: "8GB",
    registry: metrics.registry,
    ...extra,
  } as JobDeps & { repository: MemoryRepository; registry: Metrics["registry"] };
}

/** The value of one series in the registry, or undefined. */
export async function metricValue(registry: Metrics["registry"], name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}
