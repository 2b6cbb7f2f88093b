// The bench's PostgreSQL containers: started with the agent's labels as Compose would label them, filled to a size, given pgbench traffic, removed.
import { execa } from "execa";
import { must } from "./proc.mjs";

export const PG_IMAGE = process.env.BENCH_IMAGE ?? "backup-agent-test/postgres:17";
export const USER = "bench";
export const DB = "bench";

/** Every container this process started (removed at the end, or on --clean by name prefix). */
const started = new Set();

/**
 * (Re)creates a PostgreSQL container labelled as a Compose service of `project` and as a backup-agent
 * target of database `bench`; `volume` keeps its data between runs. Resolves once it answers queries.
 */
export async function startPostgres(name, { project, service = "db", volume, labels = {}, image = PG_IMAGE, ready = true }) {
  await removeContainers([name]);
  const all = {
    "com.docker.compose.project": project,
    "com.docker.compose.service": service,
    "backup-agent.postgres": "true",
    "backup-agent.postgres.databases": DB,
    ...labels,
  };
  const args = ["run", "-d", "--name", name, "-e", `POSTGRES_USER=${USER}`, "-e", "POSTGRES_PASSWORD=bench", "-e", `POSTGRES_DB=${DB}`];
  if (volume) args.push("-v", `${volume}:/var/lib/postgresql/data`);
  for (const [k, v] of Object.entries(all)) args.push("--label", `${k}=${v}`);
  started.add(name);
  await must("docker", [...args, image]);
  if (ready) await waitReady(name);
  return { name, project, service, labels: all };
}

export async function waitReady(name, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await execa("docker", ["exec", name, "psql", "-X", "-qAt", "-U", USER, "-d", DB, "-c", "SELECT 1"], { reject: false });
    if (r.exitCode === 0 && r.stdout.trim() === "1") return;
    if (Date.now() > deadline) {
      const logs = await execa("docker", ["logs", "--tail", "30", name], { reject: false, all: true });
      throw new Error(`container ${name} did not become ready in ${timeoutMs / 1000} s:\n${r.stderr}\n${logs.all}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function psql(name, sql, db = DB) {
  return (await must("docker", ["exec", name, "psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-U", USER, "-d", db, "-c", sql])).stdout.trim();
}

export const databaseSize = async (name) => Number(await psql(name, `SELECT pg_database_size('${DB}')`));

/**
 * Grows table `rows` (md5 text and numbers: about as compressible as application data; the same rows
 * every time, so a database made again dumps alike) until the database is `bytes` on disk; a database much larger than asked (an earlier run's bigger BENCH_GB) is
 * emptied and filled again. Returns the size on disk.
 */
export async function fill(name, bytes, { quiet = false } = {}) {
  let current = await databaseSize(name);
  if (current > bytes * 1.25 + 16e6) {
    await psql(name, "DROP TABLE IF EXISTS rows");
    current = await databaseSize(name);
  }
  await psql(name, "CREATE TABLE IF NOT EXISTS rows (id bigint, a text, b text, n numeric, at timestamptz)");
  let perRow = 170;
  while (current < bytes * 0.98) {
    const next = Number(await psql(name, "SELECT coalesce(max(id), 0) FROM rows"));
    const count = Math.max(10_000, Math.min(1_000_000, Math.ceil((bytes - current) / perRow)));
    await psql(
      name,
      `INSERT INTO rows SELECT i, md5(i::text), md5((i*7)::text) || md5((i*13)::text), i * 1.5, timestamptz '2025-01-01 00:00:00+00' - i * interval '1 second'
       FROM generate_series(${next + 1}, ${next + count}) i`,
    );
    const after = await databaseSize(name);
    perRow = Math.max(50, (after - current) / count);
    current = after;
    if (!quiet) process.stdout.write(`\r  ${name}: ${(current / 1e6).toFixed(0)} of ${(bytes / 1e6).toFixed(0)} MB`);
  }
  if (!quiet) process.stdout.write("\n");
  await psql(name, "VACUUM ANALYZE rows");
  return current;
}

/** pgbench inside the container, against database `bench`. */
export const pgbench = (name, ...args) => must("docker", ["exec", name, "pgbench", "-U", USER, ...args, DB]);

/** The dump pg_dump makes of the database, as a Buffer (-Fc --compress=0, the agent's default). */
export async function dumpOf(name) {
  const r = await must("docker", ["exec", name, "pg_dump", "-Fc", "--compress=0", "-U", USER, DB], { encoding: "buffer", maxBuffer: 2e9, all: false });
  return r.stdout;
}

export async function removeContainers(names) {
  if (names.length === 0) return;
  await execa("docker", ["rm", "-f", "-v", ...names], { reject: false });
  for (const n of names) started.delete(n);
}

export const startedContainers = () => [...started];
