// `npm run bench:pitr`: a measurement, not a test. How much a day of pgbench traffic adds to the
// repository with point-in-time recovery (one base backup, then the WAL the traffic wrote) against
// hourly logical dumps (the agent's default --compress=0), both from the same database and the same
// traffic: BENCH_SCALE (default 10, about 150 MB) pgbench data, BENCH_HOURS (default 24) "hours" of
// BENCH_TX (default 3000) transactions each; after each hour the `postgres` job dumps into one
// repository and the `wal` job archives into another. Prints what each added, per hour and in all,
// and the restic snapshots each made. Needs the bench (test/bench/setup.sh) and a build.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

const SCALE = Number(process.env.BENCH_SCALE ?? 10);
const HOURS = Number(process.env.BENCH_HOURS ?? 24);
const TX = Number(process.env.BENCH_TX ?? 3000);
const IMAGE = process.env.BENCH_IMAGE ?? "backup-agent-test/postgres:17";
const NAME = "backup-agent-bench-pitr";
const PROJECT = "backup-agent-bench-pitr";

await execa("docker", ["rm", "-f", NAME], { reject: false });
const labels = {
  "com.docker.compose.project": PROJECT,
  "com.docker.compose.service": "db",
  "backup-agent.postgres": "true",
  "backup-agent.postgres.databases": "bench",
  "backup-agent.postgres.pitr": "true",
};
await execa("docker", ["run", "-d", "--name", NAME, "-e", "POSTGRES_USER=bench", "-e", "POSTGRES_PASSWORD=bench", "-e", "POSTGRES_DB=bench",
  ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]), IMAGE]);
for (let i = 0; ; i++) {
  if ((await execa("docker", ["exec", NAME, "pg_isready", "-q", "-U", "bench"], { reject: false })).exitCode === 0) break;
  if (i > 240) throw new Error("the bench database did not start");
  await new Promise((r) => setTimeout(r, 250));
}
const work = mkdtempSync(join(tmpdir(), "backup-agent-bench-pitr-"));
const repo = (name) => ({ path: join(work, name), env: { RESTIC_REPOSITORY: join(work, name), RESTIC_PASSWORD: "bench" } });
const dumps = repo("dumps");
const pitr = repo("pitr");
for (const r of [dumps, pitr]) await execa("restic", ["init", "-q"], { env: r.env });

const size = async (r) => Number((await execa("du", ["-sb", r.path])).stdout.split("\t")[0]);
const agent = async (r, job) => {
  const result = await execa("node", ["dist/main.js", "run", job], { env: { ...process.env, ...r.env, BACKUP_COMPOSE_PROJECT: PROJECT, BACKUP_LOG_FORMAT: "json" }, reject: false });
  if (result.exitCode !== 0) throw new Error(`run ${job} failed:\n${result.stdout}\n${result.stderr}`);
};
const pgbench = (...args) => execa("docker", ["exec", NAME, "pgbench", "-U", "bench", ...args, "bench"]);
const mb = (bytes) => (bytes / 1048576).toFixed(1);

await pgbench("-i", "-q", "-s", String(SCALE));
const dbSize = Number((await execa("docker", ["exec", NAME, "psql", "-U", "bench", "-At", "-c", "SELECT pg_database_size('bench')", "bench"])).stdout);
console.log(`pgbench scale ${SCALE}: database ${mb(dbSize)} MB; ${HOURS} hours of ${TX} transactions each`);

// Day 0: what both start from (a dump; a base backup and the WAL up to it).
await agent(dumps, "postgres");
await agent(pitr, "basebackup");
await agent(pitr, "wal");
const start = { dumps: await size(dumps), pitr: await size(pitr) };
console.log(`start: dumps ${mb(start.dumps)} MB, base backup + WAL ${mb(start.pitr)} MB`);

const walBefore = (await execa("docker", ["exec", NAME, "psql", "-U", "bench", "-At", "-c", "SELECT pg_current_wal_lsn()", "bench"])).stdout;
for (let h = 1; h <= HOURS; h++) {
  await pgbench("-n", "-c", "4", "-j", "2", "-t", String(Math.ceil(TX / 4)));
  const before = { dumps: await size(dumps), pitr: await size(pitr) };
  await agent(dumps, "postgres");
  await agent(pitr, "wal");
  const after = { dumps: await size(dumps), pitr: await size(pitr) };
  if (h <= 3 || h === HOURS) console.log(`hour ${h}: the dump added ${mb(after.dumps - before.dumps)} MB, the WAL archive added ${mb(after.pitr - before.pitr)} MB`);
}
const walBytes = Number((await execa("docker", ["exec", NAME, "psql", "-U", "bench", "-At", "-c", `SELECT pg_current_wal_lsn() - '${walBefore}'::pg_lsn`, "bench"])).stdout);
const end = { dumps: await size(dumps), pitr: await size(pitr) };
const snapshots = async (r) => JSON.parse((await execa("restic", ["snapshots", "--json", "-q"], { env: r.env })).stdout).length;
console.log("");
console.log(`| ${HOURS} h of pgbench (${HOURS * TX} transactions, ${mb(walBytes)} MB of WAL written) | repository growth | snapshots |`);
console.log("|---|---|---|");
console.log(`| hourly dumps (--compress=0) | ${mb(end.dumps - start.dumps)} MB | ${await snapshots(dumps)} |`);
console.log(`| point-in-time recovery (WAL; the daily base backup comes on top) | ${mb(end.pitr - start.pitr)} MB | ${await snapshots(pitr)} |`);
// A second base backup a "day" later: what deduplication leaves of it.
const beforeBase = await size(pitr);
await agent(pitr, "basebackup");
console.log(`| the next day's base backup | ${mb((await size(pitr)) - beforeBase)} MB of ${mb(dbSize)} MB | |`);

await execa("docker", ["rm", "-f", NAME], { reject: false });
rmSync(work, { recursive: true, force: true });
