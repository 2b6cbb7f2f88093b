// The Docker labels of PostgreSQL targets. Documented in the README; keep them stable.
export const POSTGRES_LABELS = {
  enable: "backup-agent.postgres",
  user: "backup-agent.postgres.user",
  passwordEnv: "backup-agent.postgres.password-env",
  databases: "backup-agent.postgres.databases",
  exclude: "backup-agent.postgres.exclude",
  compress: "backup-agent.postgres.compress",
  globals: "backup-agent.postgres.globals",
} as const;
