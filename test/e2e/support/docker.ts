// Test containers on the real engine, through the docker CLI: every one is labelled for cleanup.
import { randomBytes } from "node:crypto";
import { execa } from "execa";
import { expect, vi } from "vitest";

export const E2E_LABEL = "backup-agent-e2e=1";
export const PG_IMAGES = {
  15: "backup-agent-test/postgres:15",
  17: "backup-agent-test/postgres:17",
} as const;

/** Containers this test file made: removeTestContainers() removes these and nothing else. */
const created: string[] = [];

export function uniqueName(prefix: string): string {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  created.push(name);
  return name;
}

export async function docker(args: string[], input?: string): Promise<string> {
  const result = await execa("docker", args, { input, reject: false });
  if (result.exitCode !== 0)
    throw new Error(`docker ${args.join(" ")} exited ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

export interface PgContainer {
  name: string;
  image: string;
  /** psql as the owner (local trust), returning unaligned tuples-only output. */
  psql(sql: string, database?: string): Promise<string>;
}

/** Starts a PostgreSQL container that looks like a Compose service, and waits until it accepts queries. */
export async function startPostgres(options: {
  major: 15 | 17;
  project: string;
  service: string;
  env?: Record<string, string>;
  labels?: Record<string, string>;
}): Promise<PgContainer> {
  // A container's name allows fewer characters than a Compose service label.
  const name = uniqueName(`${options.project}-${options.service.replace(/[^A-Za-z0-9_.-]/g, "")}`);
  const image = PG_IMAGES[options.major];
  const env = {
    POSTGRES_USER: "app",
    POSTGRES_PASSWORD: "app-password",
    POSTGRES_DB: "appdb",
    ...options.env,
  };
  const labels = {
    "com.docker.compose.project": options.project,
    "com.docker.compose.service": options.service,
    "backup-agent.postgres": "true",
    ...options.labels,
  };
  const args = ["run", "-d", "--name", name, "--label", E2E_LABEL, "--tmpfs", "/var/run/postgresql"];
  for (const [k, v] of Object.entries(labels)) args.push("--label", `${k}=${v}`);
  for (const [k, v] of Object.entries(env)) args.push("-e", `${k}=${v}`);
  await docker([...args, image]);
  const owner = env.POSTGRES_USER;
  const psql = (sql: string, database = env.POSTGRES_DB) =>
    docker(
      ["exec", "-i", name, "psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-U", owner, "-d", database],
      sql,
    );
  await vi.waitFor(async () => expect(await psql("SELECT 1")).toBe("1"), { timeout: 60_000, interval: 250 });
  return { name, image, psql };
}

/** The row count and an order-independent checksum of every table of a database, keyed by table. */
export async function tableDigests(pg: PgContainer, database: string): Promise<Record<string, string>> {
  const tables = (
    await pg.psql(
      "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog','information_schema') ORDER BY 1",
      database,
    )
  )
    .split("\n")
    .filter(Boolean);
  const out: Record<string, string> = {};
  for (const table of tables) {
    out[table] = await pg.psql(
      `SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM ${table} t`,
      database,
    );
  }
  return out;
}

export async function removeTestContainers(): Promise<void> {
  const names = created.splice(0);
  if (names.length) await execa("docker", ["rm", "-f", "-v", ...names], { reject: false });
}

/**
 * An idle container of the project that stops within a second of SIGTERM (a shell as PID 1 would
 * ignore it otherwise), mounting `volume` at /data when given.
 */
export async function startIdleContainer(
  project: string,
  service: string,
  options: { volume?: string; labels?: Record<string, string>; env?: Record<string, string> } = {},
): Promise<string> {
  const name = uniqueName(`${project}-${service}`);
  const args = ["run", "-d", "--name", name, "--label", E2E_LABEL, ...(options.volume ? ["-v", `${options.volume}:/data`] : [])];
  for (const [k, v] of Object.entries({ "com.docker.compose.project": project, "com.docker.compose.service": service, ...options.labels })) {
    args.push("--label", `${k}=${v}`);
  }
  for (const [k, v] of Object.entries(options.env ?? {})) args.push("-e", `${k}=${v}`);
  await docker([...args, "backup-agent-test/debian:trixie", "sh", "-c", 'trap "exit 0" TERM; while :; do sleep 0.2; done']);
  return name;
}

/**
 * Waits until a process runs in the container whose command line is `command` or starts with it
 * followed by a space ("pg_dump", "sleep 300"), seen from the host: no tools needed inside.
 */
export async function waitForProcess(container: string, command: string, timeout = 60_000): Promise<void> {
  const lines = async () => (await docker(["top", container, "-eo", "pid,args"])).split("\n").map((l) => l.trim().replace(/^\d+\s+/, ""));
  await vi.waitFor(async () => expect((await lines()).some((l) => l === command || l.startsWith(`${command} `))).toBe(true), {
    timeout,
    interval: 100,
  });
}
