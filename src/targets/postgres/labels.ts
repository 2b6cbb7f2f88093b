// The Docker labels of PostgreSQL targets. Documented in the README; keep them stable.
export const POSTGRES_LABELS = {
  enable: "backup-agent.postgres",
  user: "backup-agent.postgres.user",
  passwordEnv: "backup-agent.postgres.password-env",
  databases: "backup-agent.postgres.databases",
  exclude: "backup-agent.postgres.exclude",
  compress: "backup-agent.postgres.compress",
  globals: "backup-agent.postgres.globals",
  /**
   * How the exact row counts verify compares with are recorded: `dump` (default) counts the rows in the
   * dump as it streams (a compressed dump falls back to `query`), `query` counts every table with
   * count(*) in pg_dump's own snapshot (a second full read), `off` records none.
   */
  rowCounts: "backup-agent.postgres.row-counts",
  /**
   * Checks run at verify against each restored database: `database: SELECT …`, one per line or
   * separated by ";", each answering one row of true.
   */
  verifySql: "backup-agent.postgres.verify-sql",
  /** Point-in-time recovery: WAL archived continuously through a replication slot, plus base backups. */
  pitr: "backup-agent.postgres.pitr",
} as const;
