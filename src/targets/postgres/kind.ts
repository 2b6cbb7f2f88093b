// The PostgreSQL kind: labelled containers, dumped with pg_dump in their own container, verified in a
// throwaway container of their own image, restored into the running container.
import type { ContainerControl, Engine } from "../../docker/engine.js";
import type { Sandbox } from "../../docker/sandbox.js";
import { KIND } from "../../restic/tags.js";
import { containerHooksGuard } from "../hooks.js";
import type { Kind } from "../kind.js";
import { backupPostgres, describePostgresTarget } from "./backup.js";
import { discoverPostgres, type PostgresTarget } from "./discover.js";
import { POSTGRES_LABELS } from "./labels.js";
import { planPostgres } from "./plan.js";
import { applyPostgresRestore, planPostgresRestore } from "./restore.js";
import { verifyPostgres } from "./verify.js";

export interface PostgresKindDeps {
  engine: Engine & ContainerControl;
  /** BACKUP_WAL_MAX_RETAINED, for the base backup that follows a recovery into the live target. */
  walMaxRetained: string;
  sandbox: Sandbox;
  hookTimeoutMs: number;
  /** Record exact row counts in each dump's own snapshot (default true). */
  rowCounts?: boolean;
}

export function postgresKind(deps: PostgresKindDeps): Kind<PostgresTarget> {
  const backupDeps = { engine: deps.engine, sandbox: deps.rowCounts === false ? undefined : deps.sandbox };
  return {
    name: KIND.postgres,
    title: "PostgreSQL",
    howToEnable: "no container is labelled backup-agent.postgres=true: no database was backed up",
    whyMissing: "no labelled container exists",
    labels: Object.values(POSTGRES_LABELS),
    enabledBy: POSTGRES_LABELS.enable,
    describe: describePostgresTarget,
    discover: (scope) => discoverPostgres(deps.engine, scope.project),
    guard: containerHooksGuard(deps, describePostgresTarget),
    backup: (target, run) => backupPostgres(target, backupDeps, run),
    verify: (name, target, snapshots, run) => verifyPostgres(name, target, deps, snapshots, run),
    verifySetsUpFirst: true,
    plan: (target, signal) => planPostgres(deps.engine, target, signal),
    restore: { plan: planPostgresRestore, apply: (plans, run) => applyPostgresRestore(deps, plans, run) },
  };
}
