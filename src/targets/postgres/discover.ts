// PostgreSQL targets from labelled containers: user and databases from the container's own env,
// overridden by labels. A label that cannot be used is a problem of that target, never ignored.
import type { ContainerInfo, Engine } from "../../docker/engine.js";
import { KIND } from "../../restic/tags.js";
import { labelList } from "../labels.js";
import { POSTGRES_LABELS as L } from "./labels.js";

export interface PostgresTarget {
  kind: typeof KIND.postgres;
  /** The Compose service (or container name): the target's name in tags, files and metrics. */
  name: string;
  container: ContainerInfo;
  user: string;
  /** Database the agent connects to for CHECKPOINT and listing databases. */
  maintenanceDb: string;
  /** Name of a variable in the container's env that holds the user's password, if one is needed. */
  passwordEnv: string | undefined;
  include: string[] | undefined;
  exclude: string[];
  /** pg_dump --compress value: 0-9, or on PostgreSQL 16+ e.g. zstd:3 or lz4. */
  compress: string;
  /** How row counts are recorded (the row-counts label; `dump` becomes `query` for a compressed dump). */
  rowCounts: RowCountMode;
  globals: boolean;
  /** Point-in-time recovery is on (backup-agent.postgres.pitr=true): WAL archiving and base backups. */
  pitr: boolean;
  /** The data directory inside the container (its PGDATA, else the official image's default). */
  dataDir: string;
  /** The user's checks of restored databases (backup-agent.postgres.verify-sql). */
  checks: SqlCheck[];
  /** Label problems: the target fails with these instead of guessing. */
  problems: string[];
}

export const ROW_COUNT_MODES = ["dump", "query", "off"] as const;
export type RowCountMode = (typeof ROW_COUNT_MODES)[number];

/** One check: a query run in a restored database that must answer one row of true. */
export interface SqlCheck {
  database: string;
  sql: string;
}

/** `appdb: SELECT count(*) > 0 FROM users; shop: SELECT …` as checks, or the parts that are not checks. */
export function parseChecks(text: string | undefined): { checks: SqlCheck[]; bad: string[] } {
  const checks: SqlCheck[] = [];
  const bad: string[] = [];
  for (const part of (text ?? "").split(/;|\n/).map((p) => p.trim()).filter(Boolean)) {
    const colon = part.indexOf(":");
    const database = colon > 0 ? part.slice(0, colon).trim() : "";
    const sql = colon > 0 ? part.slice(colon + 1).trim() : "";
    if (database && sql) checks.push({ database, sql });
    else bad.push(part);
  }
  return { checks, bad };
}

const COMPRESS = /^(?:[0-9]|(?:gzip|lz4|zstd|none)(?::\d{1,2})?)$/;

export function describePostgres(container: ContainerInfo): PostgresTarget {
  const labels = container.labels;
  const problems: string[] = [];
  const enable = labels[L.enable];
  if (enable !== "true") problems.push(`label ${L.enable} of container ${container.name}: expected true or false; got "${enable}"`);
  const ownerUser = container.env.POSTGRES_USER ?? "postgres";
  const user = labels[L.user] ?? ownerUser;
  if (user.trim() === "") problems.push(`label ${L.user} of container ${container.name}: expected a role name; got "${user}"`);
  const compress = labels[L.compress] ?? "0";
  if (!COMPRESS.test(compress)) {
    problems.push(`label ${L.compress} of container ${container.name}: expected 0-9, gzip:N, lz4 or zstd:N; got "${compress}"`);
  }
  const rowCountsLabel = labels[L.rowCounts] ?? "dump";
  const rowCounts = (ROW_COUNT_MODES as readonly string[]).includes(rowCountsLabel) ? (rowCountsLabel as RowCountMode) : "dump";
  if (rowCounts !== rowCountsLabel) {
    problems.push(`label ${L.rowCounts} of container ${container.name}: expected ${ROW_COUNT_MODES.join(", ")}; got "${rowCountsLabel}"`);
  }
  const globalsLabel = labels[L.globals] ?? "true";
  if (!["true", "false"].includes(globalsLabel)) {
    problems.push(`label ${L.globals} of container ${container.name}: expected true or false; got "${globalsLabel}"`);
  }
  const pitrLabel = labels[L.pitr] ?? "false";
  if (!["true", "false"].includes(pitrLabel)) {
    problems.push(`label ${L.pitr} of container ${container.name}: expected true or false; got "${pitrLabel}"`);
  }
  const passwordLabel = labels[L.passwordEnv];
  if (passwordLabel !== undefined && container.env[passwordLabel] === undefined) {
    problems.push(`label ${L.passwordEnv} of container ${container.name}: expected the name of a variable in the container's environment; got "${passwordLabel}", which the container does not have`);
  }
  const { checks, bad } = parseChecks(labels[L.verifySql]);
  for (const part of bad) {
    problems.push(`label ${L.verifySql} of container ${container.name}: expected checks such as "appdb: SELECT count(*) > 0 FROM users"; got "${part}"`);
  }
  const include = labelList(labels[L.databases]);
  if (include?.length === 0) problems.push(`label ${L.databases} of container ${container.name}: expected a comma list of databases; got "${labels[L.databases]}" (leave it out for every database)`);
  return {
    kind: KIND.postgres,
    name: container.service,
    container,
    user,
    maintenanceDb: container.env.POSTGRES_DB ?? ownerUser,
    passwordEnv: passwordLabel ?? (user === ownerUser ? "POSTGRES_PASSWORD" : undefined),
    include,
    exclude: labelList(labels[L.exclude]) ?? [],
    compress,
    // Only an uncompressed archive can be counted as it streams.
    rowCounts: rowCounts === "dump" && !/^(?:0|none)(?::\d+)?$/.test(compress) ? "query" : rowCounts,
    globals: globalsLabel !== "false",
    pitr: pitrLabel === "true",
    dataDir: container.env.PGDATA ?? "/var/lib/postgresql/data",
    checks,
    problems,
  };
}

/**
 * Every container labelled backup-agent.postgres in scope, running or not, except those labelled
 * `false`: any other value than `true` is a problem of the target, never a silent skip.
 */
export async function discoverPostgres(
  engine: Engine,
  project: string | undefined,
): Promise<PostgresTarget[]> {
  const containers = (await engine.listContainers(L.enable, project)).filter((c) => c.labels[L.enable] !== "false");
  return containers.map(describePostgres).sort((a, b) => a.name.localeCompare(b.name));
}

/** The databases to dump: the include label, or all but the excluded. Unknown names are problems. */
export function selectDatabases(target: PostgresTarget, existing: readonly string[]) {
  const problems: string[] = [];
  let selected: string[];
  if (target.include) {
    for (const name of target.include) {
      if (!existing.includes(name)) problems.push(`database "${name}" named in the databases label does not exist`);
    }
    selected = target.include.filter((name) => existing.includes(name));
  } else {
    selected = existing.filter((name) => !target.exclude.includes(name));
  }
  return { selected, problems };
}
