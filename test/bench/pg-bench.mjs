// `npm run bench`: a benchmark, not a test. On a PostgreSQL database of BENCH_GB (default 1) GB it
// prints the agent's dump-to-repository throughput against `docker exec pg_dump -Fc | restic backup
// --stdin` and against bare `pg_dump > /dev/null`, the agent's peak RSS on a small and the large
// database, and what a second back-to-back backup adds with the default --compress=0 and with 6.
// Needs the bench (test/bench/setup.sh) and a build (npm run build). The data lives in a Docker
// volume kept between runs; `npm run bench -- --clean` removes it.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

const GB = Number(process.env.BENCH_GB ?? 1);
const IMAGE = "backup-agent-test/postgres:17";
const VOLUME = "backup-agent-bench-pgdata";
const PROJECT = "backup-agent-bench";
const docker = (...args) => execa("docker", args);

if (process.argv.includes("--clean")) {
  await execa("docker", ["rm", "-f", "backup-agent-bench-db", "backup-agent-bench-small"], { reject: false });
  await execa("docker", ["volume", "rm", "-f", VOLUME], { reject: false });
  console.log("bench: removed the bench containers and volume");
  process.exit(0);
}

async function startDb(name, { volume, labels = {}, project = PROJECT }) {
  await execa("docker", ["rm", "-f", name], { reject: false });
  const args = [
    "run",
    "-d",
    "--name",
    name,
    "-e",
    "POSTGRES_USER=bench",
    "-e",
    "POSTGRES_PASSWORD=bench",
    "-e",
    "POSTGRES_DB=bench",
  ];
  if (volume) args.push("-v", `${volume}:/var/lib/postgresql/data`);
  for (const [k, v] of Object.entries({
    "com.docker.compose.project": project,
    "com.docker.compose.service": name,
    "backup-agent.postgres": "true",
    "backup-agent.postgres.databases": "bench",
    "backup-agent.postgres.globals": "false",
    ...labels,
  })) {
    args.push("--label", `${k}=${v}`);
  }
  await docker(...args, IMAGE);
  for (let i = 0; i < 240; i++) {
    if (
      (await execa("docker", ["exec", name, "pg_isready", "-q", "-U", "bench"], { reject: false }))
        .exitCode === 0
    )
      return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} did not become ready`);
}

const psql = (name, sql) =>
  execa("docker", ["exec", name, "psql", "-X", "-qAt", "-U", "bench", "-d", "bench", "-c", sql]);

async function ensureSize(name, bytes) {
  const size = async () => Number((await psql(name, "SELECT pg_database_size('bench')")).stdout);
  let current = await size();
  // Rows of md5 text and numbers: about as compressible as application data.
  for (let batch = 0; current < bytes; batch++) {
    await psql(
      name,
      `CREATE TABLE IF NOT EXISTS rows (id bigint, a text, b text, n numeric, at timestamptz);
      INSERT INTO rows SELECT i, md5(i::text), md5((i*7)::text) || md5((i*13)::text), i * 1.5, now() - i * interval '1 second'
      FROM generate_series(${batch * 1_000_000 + 1}, ${(batch + 1) * 1_000_000}) i`,
    );
    current = await size();
    process.stdout.write(`\rbench: database ${(current / 1e9).toFixed(2)} GB`);
  }
  process.stdout.write("\n");
  return current;
}

function newRepo() {
  const dir = mkdtempSync(join(tmpdir(), "backup-agent-bench-"));
  const env = { RESTIC_REPOSITORY: join(dir, "repo"), RESTIC_PASSWORD: "bench" };
  return { dir, env };
}

async function repoSize(repo) {
  return Number((await execa("du", ["-sb", repo.env.RESTIC_REPOSITORY])).stdout.split("\t")[0]);
}

async function timed(fn) {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/** Runs the agent's postgres job; returns its seconds for the dump, bytes added and peak RSS. */
async function agentRun(repo, project) {
  const child = execa("node", ["dist/main.js", "run", "postgres"], {
    env: { ...process.env, ...repo.env, BACKUP_COMPOSE_PROJECT: project, BACKUP_LOG_FORMAT: "json" },
    extendEnv: false,
    reject: false,
  });
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const kb = Number(
        /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0,
      );
      peak = Math.max(peak, kb * 1024);
    } catch {}
  }, 50);
  const result = await child;
  clearInterval(timer);
  if (result.exitCode !== 0) throw new Error(`agent failed:\n${result.stdout}\n${result.stderr}`);
  const stored = String(result.stdout)
    .split("\n")
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return {};
      }
    })
    .find((l) => String(l.msg).startsWith("stored") && String(l.file).includes("bench.dump"));
  return { seconds: stored.seconds, bytes: stored.bytes, added: stored.added, peak };
}

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
await execa("npm", ["run", "build"], { stdio: "ignore" });
await startDb("backup-agent-bench-db", { volume: VOLUME });
const dbBytes = await ensureSize("backup-agent-bench-db", GB * 1e9);

// 1. bare pg_dump to /dev/null
const bare = await timed(() =>
  execa("sh", ["-c", "docker exec backup-agent-bench-db pg_dump -Fc -Z0 -U bench bench > /dev/null"]),
);
// 2. the shell pipeline the agent replaces
const shellRepo = newRepo();
await execa("restic", ["init", "-q"], { env: shellRepo.env });
const shell = await timed(() =>
  execa(
    "sh",
    [
      "-c",
      "docker exec backup-agent-bench-db pg_dump -Fc -Z0 -U bench bench | restic backup -q --stdin --stdin-filename bench.dump",
    ],
    { env: { ...process.env, ...shellRepo.env } },
  ),
);
// 3. the agent, twice in a row (default --compress=0), into its own repository
const agentRepo = newRepo();
await execa("restic", ["init", "-q"], { env: agentRepo.env });
const first = await agentRun(agentRepo, PROJECT);
const firstSize = await repoSize(agentRepo);
const second = await agentRun(agentRepo, PROJECT);
const secondAdded = (await repoSize(agentRepo)) - firstSize;
// 4. the same data with --compress=6, twice in a row
await startDb("backup-agent-bench-db", { volume: VOLUME, labels: { "backup-agent.postgres.compress": "6" } });
const z6Repo = newRepo();
await execa("restic", ["init", "-q"], { env: z6Repo.env });
const z6first = await agentRun(z6Repo, PROJECT);
const z6size = await repoSize(z6Repo);
const z6second = await agentRun(z6Repo, PROJECT);
const z6added = (await repoSize(z6Repo)) - z6size;
// 5. peak RSS on a small database, to show it does not grow with the dump
await startDb("backup-agent-bench-small", { project: `${PROJECT}-small` });
await ensureSize("backup-agent-bench-small", 50e6);
const smallRepo = newRepo();
await execa("restic", ["init", "-q"], { env: smallRepo.env });
const small = await agentRun(smallRepo, `${PROJECT}-small`);
await startDb("backup-agent-bench-db", { volume: VOLUME });

const agentSeconds = first.seconds;
console.log(`
backup-agent benchmark: PostgreSQL 17, database ${mb(dbBytes)} on disk, dump ${mb(first.bytes)} (-Fc -Z0), ${(await execa("nproc")).stdout} cores
  bare pg_dump > /dev/null             ${bare.toFixed(1)} s   ${mb(first.bytes / bare)}/s
  shell pg_dump | restic backup        ${shell.toFixed(1)} s   ${mb(first.bytes / shell)}/s
  backup-agent run postgres            ${agentSeconds.toFixed(1)} s   ${mb(first.bytes / agentSeconds)}/s
  agent throughput / shell pipeline    ${(shell / agentSeconds).toFixed(2)}
  agent throughput / bare pg_dump      ${(bare / agentSeconds).toFixed(2)}
  agent peak RSS                       ${mb(first.peak)} on the ${mb(first.bytes)} dump, ${mb(small.peak)} on a ${mb(small.bytes)} dump
  second backup adds, --compress=0     ${mb(secondAdded)} (${((secondAdded / first.bytes) * 100).toFixed(2)}% of the dump; first added ${mb(firstSize)}, ${second.seconds.toFixed(1)} s)
  second backup adds, --compress=6     ${mb(z6added)} (first added ${mb(z6size)}, ${z6first.seconds.toFixed(1)} s then ${z6second.seconds.toFixed(1)} s)
`);
for (const repo of [shellRepo, agentRepo, z6Repo, smallRepo])
  rmSync(repo.dir, { recursive: true, force: true });
await execa("docker", ["rm", "-f", "backup-agent-bench-small"], { reject: false });
