// What the jobs are built from: the kinds, the repositories, the engine, the metrics and settings.
import type { ContainerControl, Engine, VolumeLister } from "../docker/engine.js";
import type { Sandbox } from "../docker/sandbox.js";
import type { CoverageMetrics } from "../report/coverage-metrics.js";
import type { Metrics } from "../report/metrics.js";
import type { PitrMetrics } from "../report/pitr-metrics.js";
import type { RepositoryMetrics } from "../report/repository-metrics.js";
import type { TargetMetrics } from "../report/target-metrics.js";
import type { RetentionPolicy } from "../restic/policy.js";
import type { Repository } from "../restic/repository.js";
import type { Kind } from "../targets/kind.js";

export interface JobDeps {
  kinds: readonly Kind[];
  engine: Engine & VolumeLister & ContainerControl;
  /** Throwaway containers (verify reaps the leftovers of crashed agents before it starts). */
  sandbox: Sandbox;
  /** Older than this, a throwaway is a leftover whatever its owner (the verify job's timeout). */
  leftoverMaxAgeMs: number;
  repository: Repository;
  /** The offsite copy, when one is configured. */
  offsite: Repository | undefined;
  metrics: {
    targets: TargetMetrics;
    coverage: CoverageMetrics;
    repository: RepositoryMetrics;
    pitr: PitrMetrics;
    verify: Pick<Metrics, "verifyLast" | "verifySuccess" | "verifyDuration" | "verifyTarget">;
  };
  /** BACKUP_COMPOSE_PROJECT: a project, "*" for all, or undefined for the agent's own. */
  project: string | undefined;
  /** BACKUP_EXPECTED_TARGETS as `kind/name`. */
  expected: readonly string[];
  concurrency: number;
  checkSubset: string;
  retention: { local: RetentionPolicy; offsite: RetentionPolicy };
  /** BACKUP_WAL_MAX_RETAINED: the max_slot_wal_keep_size set on PITR targets that leave it unlimited. */
  walMaxRetained: string;
  /** Where volumes are mounted into the agent, for the unprotected-volume advice. */
  volumesRoot: string;
  now?: () => number;
}
