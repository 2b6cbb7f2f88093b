// What a backup of a PostgreSQL target would store now: its databases, globals and label problems.
import type { Engine } from "../../docker/engine.js";
import { KIND } from "../../restic/tags.js";
import { containerProblems } from "../container.js";
import type { PlannedTarget } from "../kind.js";
import { type PostgresTarget, selectDatabases } from "./discover.js";
import { listDatabases } from "./sql.js";

export async function planPostgres(engine: Engine, target: PostgresTarget, signal: AbortSignal): Promise<PlannedTarget> {
  const problems = containerProblems(target);
  let databases: string[] = [];
  if (target.container.running) {
    try {
      const selection = selectDatabases(target, await listDatabases(engine, target, signal));
      databases = selection.selected;
      problems.push(...selection.problems);
    } catch (error) {
      problems.push(`cannot list databases: ${(error as Error).message}`);
    }
  }
  return {
    kind: KIND.postgres,
    name: target.name,
    container: target.container.name,
    state: target.container.state,
    details: { user: target.user, compress: target.compress, globals: target.globals, databases, pitr: target.pitr },
    files: [
      ...(target.globals ? [`postgres/${target.name}/globals.sql`] : []),
      ...databases.map((d) => `postgres/${target.name}/${d}.dump`),
      // Point-in-time recovery: the basebackup and wal jobs store these, not a backup run.
      ...(target.pitr ? [`postgres/${target.name}/base.tar (basebackup job)`, `postgres/${target.name}/wal.tar (wal job, every run)`] : []),
    ],
    problems,
  };
}
