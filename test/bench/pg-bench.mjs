// `npm run bench`: a benchmark, not a test: whole backup-agent runs against the shell pipelines they replace, timed as cron sees them, in alternating rounds.
//
// Sections (BENCH_ONLY=1,3,… picks some): 1 the postgres job against `pg_dump | restic backup --stdin`
// (-Z0 and -Z6) on a BENCH_GB (1) GB and a BENCH_SMALL_MB (20) MB database, and as deployed (its
// image) when that exists; 2 the same job on a repository with BENCH_HISTORY_SNAPSHOTS (2100)
// snapshots of history; 3 what a second backup adds after pgbench traffic (BENCH_SCALE 20, BENCH_TX
// 2000, -c 2), -Z0 against -Z6; 4 BENCH_CONTAINERS (20) databases at BACKUP_CONCURRENCY 1, 2, 4;
// 5 `run verify` against a bare restic dump | pg_restore; 6 the daemon's idle RSS and CPU over
// BENCH_IDLE_SECONDS (60), and the job's peak RSS; 7 the cost of the recorded row counts. Every
// comparison runs BENCH_PAIRS (3) rounds, the order reversed every other round, into a fresh
// repository each time. Needs the bench (test/bench/setup.sh). Builds first (BENCH_NO_BUILD=1 skips
// it); BENCH_IMAGE_BUILD=1 builds the agent's image. The big database stays in the Docker volume
// backup-agent-bench-pgdata and the history under /tmp/backup-agent-bench/history-<N> between runs;
// `npm run bench -- --clean` removes both and every backup-agent-bench container.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { AGENT_HOST, AGENT_IMAGE, agentImageExists, buildAgentImage, idleDaemon, MAIN, newestManifest, ROOT, rowCountsProblem, runAgent, runDeployed } from "./lib/agent.mjs";
import { DB, dumpOf, fill, PG_IMAGE, pgbench, psql, removeContainers, startedContainers, startPostgres, USER } from "./lib/databases.mjs";
import { historyRepo, removeBuilding } from "./lib/history.mjs";
import { baseEnv, must, RunFailed, stopRunning, timedRun } from "./lib/proc.mjs";
import { BENCH_DIR, copyRepo, newRepo, removeRepo, removeWorkDir, repoSize, restic, snapshotsOf } from "./lib/repos.mjs";
import { alternate, mb, pct, rate, ratio, ResultTable, seconds, spread, summarize, summaryOf } from "./lib/stats.mjs";

const number = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${process.env[name]}: expected a positive number`);
  return value;
};
const CPUS = cpus().length;
const GB = number("BENCH_GB", 1);
const SMALL_MB = number("BENCH_SMALL_MB", 20);
const PAIRS = Math.round(number("BENCH_PAIRS", 3));
const HISTORY = Math.round(number("BENCH_HISTORY_SNAPSHOTS", 2100));
const HISTORY_JOBS = Math.round(number("BENCH_HISTORY_JOBS", CPUS));
const SCALE = Math.round(number("BENCH_SCALE", 20));
const TX = Math.round(number("BENCH_TX", 2000));
const CONTAINERS = Math.round(number("BENCH_CONTAINERS", 20));
const MANY_MB = number("BENCH_MANY_MB", 10);
const IDLE_SECONDS = Math.round(number("BENCH_IDLE_SECONDS", 60));
const CONCURRENCY = [1, 2, 4];
const ONLY = new Set((process.env.BENCH_ONLY ?? "1,2,3,4,5,6,7").split(",").map((s) => Number(s.trim())));

const BIG = { name: "backup-agent-bench-db", project: "backup-agent-bench", volume: "backup-agent-bench-pgdata" };
const SMALL = { name: "backup-agent-bench-small", project: "backup-agent-bench-small" };
const PGB = { name: "backup-agent-bench-pgbench", project: "backup-agent-bench-pgbench", volume: "backup-agent-bench-pgbench-data" };
const MANY = { prefix: "backup-agent-bench-many-", project: "backup-agent-bench-many" };
const RESTORE = "backup-agent-bench-restore";
const ROW_COUNTS = "backup-agent.postgres.row-counts";
const SIZE_LABEL = `${GB} GB`;

const table = new ResultTable();
/** What later sections reuse of earlier ones. */
const kept = { bigAgentRepo: undefined, peaks: {} };

async function main() {
  if (process.env.BENCH_NO_BUILD !== "1") {
    console.log("building (npm run build; BENCH_NO_BUILD=1 skips it)");
    await must("npm", ["run", "build"], { cwd: ROOT });
  }
  await machine();
  if (process.env.BENCH_IMAGE_BUILD === "1") {
    console.log(`building ${AGENT_IMAGE} (BENCH_IMAGE_BUILD=1)`);
    console.log(`  built in ${seconds(await buildAgentImage())}`);
  }
  const sections = [
    [1, "1. the postgres job against the shell pipelines", sectionJob],
    [2, "2. the postgres job on a repository with a long history", sectionHistory],
    [3, "3. repository growth after pgbench traffic", sectionGrowth],
    [4, `4. ${CONTAINERS} databases in one run, by BACKUP_CONCURRENCY`, sectionMany],
    [5, "5. run verify against a bare restore", sectionVerify],
    [6, "6. memory and CPU", sectionMemory],
    [7, "7. the cost of the recorded row counts", sectionRowCounts],
  ];
  for (const [n, title, run] of sections) {
    if (!ONLY.has(n)) continue;
    console.log(`\n== ${title}`);
    table.section(title);
    const started = performance.now();
    await run();
    console.log(`   (section ${n} took ${seconds((performance.now() - started) / 1000)})`);
  }
  console.log(`\n== Results (${PAIRS} round(s) each; median (min–max); MB = 10^6 bytes)\n`);
  console.log(table.markdown());
}

async function machine() {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU";
  const text = async (file, args) => (await execa(file, args, { reject: false, cwd: ROOT })).stdout.trim();
  const kernel = await text("uname", ["-r"]);
  const engine = await text("docker", ["version", "--format", "{{.Server.Version}}"]);
  const resticVersion = /restic \S+/.exec(await text("restic", ["version"]))?.[0];
  const pg = await text("docker", ["run", "--rm", "--name", `backup-agent-bench-version-${process.pid}`, "--entrypoint", "postgres", PG_IMAGE, "--version"]);
  const agent = await text(process.execPath, [MAIN, "version"]);
  const commit = await text("git", ["describe", "--always", "--dirty"]);
  const m = `${(await text("nproc", []))} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, Linux ${kernel}, Docker Engine ${engine}`;
  const v = `node ${process.version}, ${resticVersion}, ${pg} (${PG_IMAGE}), backup-agent ${agent} (checkout ${commit})`;
  console.log(`machine:  ${m}; load average ${loadavg().map((l) => l.toFixed(2)).join(" ")} at the start\nversions: ${v}`);
  table.add("machine", m);
  table.add("versions", v);
}

// ---------------------------------------------------------------- databases

let bigState;
/** The big database, in its volume, its container labelled `labels` (recreated when they differ). */
async function big(labels = {}) {
  const key = JSON.stringify(labels);
  if (bigState?.key === key) return bigState;
  const c = await startPostgres(BIG.name, { project: BIG.project, volume: BIG.volume, labels });
  const onDisk = bigState?.onDisk ?? (await fill(BIG.name, GB * 1e9));
  bigState = { ...c, key, onDisk };
  return bigState;
}

let smallState;
async function small() {
  if (smallState) return smallState;
  const c = await startPostgres(SMALL.name, { project: SMALL.project });
  smallState = { ...c, onDisk: await fill(SMALL.name, SMALL_MB * 1e6) };
  return smallState;
}

// ---------------------------------------------------------------- the runs

const describeAgent = (r) =>
  `job ${seconds(r.jobSeconds)}, dump ${mb(r.dumpBytes)} (restic added ${mb(r.dumpAdded)}), peak RSS ${mb(r.treePeak)} tree / ${mb(r.rootHwm)} agent`;

/** The agent's postgres job into a fresh repository; the repository is removed unless `keep`. */
async function agentFresh(label, project, { keep = false, extra } = {}) {
  const repo = await newRepo("agent");
  try {
    const r = await runAgent(label, repo, project, { extra });
    if (keep) r.repo = repo;
    return r;
  } finally {
    if (!keep) removeRepo(repo);
  }
}

/** The shell pipeline the agent replaces, into a fresh repository: `docker exec pg_dump | restic backup --stdin`. */
async function pipeline(label, container, compress) {
  const repo = await newRepo("pipeline");
  try {
    const command = `docker exec ${container} pg_dump -Fc --compress=${compress} -U ${USER} ${DB} | restic backup --stdin --stdin-filename ${DB}.dump`;
    const r = await timedRun(label, "sh", ["-c", command], { env: baseEnv(repo.env) });
    // sh has no pipefail: restic saves whatever arrived. Prove pg_dump's part from what was stored.
    const summary = (await snapshotsOf(repo)).at(-1)?.summary ?? {};
    const dumpBytes = summary.total_bytes_processed ?? 0;
    if (/pg_dump: error/.test(r.all) || dumpBytes < 1000) throw new RunFailed(`${label}: pg_dump failed (${dumpBytes} bytes stored):\n${r.all}`);
    return { ...r, dumpBytes, dumpAdded: summary.data_added ?? NaN };
  } finally {
    removeRepo(repo);
  }
}
const describePipeline = (r) => `dump ${mb(r.dumpBytes)} (restic added ${mb(r.dumpAdded)}), peak RSS ${mb(r.treePeak)} tree`;

// ---------------------------------------------------------------- 1

async function sectionJob() {
  const b = await big();
  const s = await small();
  const deployed = await agentImageExists();
  if (!deployed) console.log(`  (no image ${AGENT_IMAGE}: the deployed job is not timed; BENCH_IMAGE_BUILD=1 builds it)`);
  for (const [db, what] of [
    [b, SIZE_LABEL],
    [s, `${SMALL_MB} MB`],
  ]) {
    const isBig = db === b;
    console.log(`  -- ${what} database (${mb(db.onDisk)} on disk)`);
    const contenders = [
      {
        name: "agent",
        run: async (round) => {
          const r = await agentFresh(`agent run postgres (${what})`, db.project, { keep: isBig && round === PAIRS - 1 });
          if (r.repo) kept.bigAgentRepo = r.repo;
          return r;
        },
        describe: describeAgent,
      },
      { name: "pipeline -Z0", run: () => pipeline(`pipeline -Z0 (${what})`, db.name, 0), describe: describePipeline },
      { name: "pipeline -Z6", run: () => pipeline(`pipeline -Z6 (${what})`, db.name, 6), describe: describePipeline },
    ];
    if (deployed && !isBig) {
      contenders.push({
        name: "agent, deployed",
        run: async () => {
          const repo = await newRepo("deployed");
          try {
            return await runDeployed(`deployed agent run postgres (${what})`, repo, db.project);
          } finally {
            removeRepo(repo);
          }
        },
        describe: (r) => `job ${seconds(r.jobSeconds)}, dump ${mb(r.dumpBytes)}`,
      });
    }
    const results = await alternate(isBig ? "big" : "small", contenders, PAIRS);
    const agent = results.get("agent");
    const t = Object.fromEntries([...results].map(([name, list]) => [name, summaryOf(list)]));
    const dump = summaryOf(agent, "dumpBytes").median;
    const z6dump = summaryOf(results.get("pipeline -Z6"), "dumpBytes").median;
    const r0 = t["pipeline -Z0"].median / t.agent.median;
    const r6 = t["pipeline -Z6"].median / t.agent.median;
    const job = summaryOf(agent, "jobSeconds");
    const tree = summaryOf(agent, "treePeak");
    const hwm = summaryOf(agent, "rootHwm");
    kept.peaks[isBig ? "big" : "small"] = { tree, hwm, dump };
    console.log(`  ${what}: agent ${spread(t.agent)} (job inside it ${spread(job)}), pipeline -Z0 ${spread(t["pipeline -Z0"])}, -Z6 ${spread(t["pipeline -Z6"])}`);
    console.log(`  ${what}: agent throughput / pipeline -Z0 = ${ratio(r0)}, / pipeline -Z6 = ${ratio(r6)}`);
    table.add(`${what} database: on disk / dump`, `${mb(db.onDisk)} / ${mb(dump)} (-Fc -Z0), ${mb(z6dump)} (-Z6)`);
    table.add(`${what}: \`backup-agent run postgres\` (whole process)`, `${spread(t.agent)}, ${rate(dump, t.agent.median)}; the job inside it ${spread(job)}`);
    table.add(`${what}: \`docker exec pg_dump -Fc --compress=0 | restic backup --stdin\``, `${spread(t["pipeline -Z0"])}, ${rate(dump, t["pipeline -Z0"].median)}`);
    table.add(`${what}: the same with \`--compress=6\` (the replaced scripts)`, `${spread(t["pipeline -Z6"])}, ${rate(dump, t["pipeline -Z6"].median)} of the -Z0 dump`);
    table.add(`${what}: agent throughput / pipeline -Z0`, ratio(r0));
    table.add(`${what}: agent throughput / pipeline -Z6`, ratio(r6));
    if (t["agent, deployed"]) {
      console.log(`  ${what}: deployed (docker run --rm of the image) ${spread(t["agent, deployed"])}, ${ratio(t["agent, deployed"].median / t.agent.median)} × the checkout's`);
      table.add(`${what}: the job as deployed (\`docker run --rm ${AGENT_IMAGE} run postgres\`)`, `${spread(t["agent, deployed"])} (${ratio(t["agent, deployed"].median / t.agent.median)} × the checkout's time)`);
    }
  }
}

// ---------------------------------------------------------------- 2

async function sectionHistory() {
  const s = await small();
  const dump = await dumpOf(s.name);
  const rows = Number(await psql(s.name, "SELECT count(*) FROM rows"));
  const history = await historyRepo({ snapshots: HISTORY, target: s.service, host: AGENT_HOST, dump, rows, jobs: HISTORY_JOBS });
  const m = history.meta;
  const perSnapshot = m.buildSeconds / m.snapshots;
  console.log(`  history: ${m.snapshots} snapshots (${m.runs} hourly runs), ${m.indexFiles} index files, ${mb(m.bytes)}; built in ${seconds(m.buildSeconds)} (${m.jobs} runs at a time: ${(1 / perSnapshot).toFixed(2)} snapshots/s)${history.cached ? ", cached" : ""}`);
  table.add("history repository", `${m.snapshots} snapshots (${m.runs} hourly runs of globals, a ${mb(m.dumpBytes)} dump, a manifest), ${m.indexFiles} index files, ${mb(m.bytes)}; built in ${seconds(m.buildSeconds)}`);
  const results = await alternate("history", [
    {
      name: "long history",
      run: async () => {
        const repo = await copyRepo(history.repo, "history");
        try {
          return await runAgent(`agent run postgres (${HISTORY} snapshots)`, repo, s.project);
        } finally {
          removeRepo(repo);
        }
      },
      describe: describeAgent,
    },
    { name: "fresh repository", run: () => agentFresh("agent run postgres (fresh repository)", s.project), describe: describeAgent },
  ], PAIRS);
  const h = summaryOf(results.get("long history"));
  const f = summaryOf(results.get("fresh repository"));
  const peak = (name) => `${mb(summaryOf(results.get(name), "treePeak").median)} tree / ${mb(summaryOf(results.get(name), "rootHwm").median)} agent`;
  const added = (name) => mb(summaryOf(results.get(name), "dumpAdded").median);
  console.log(`  long history ${spread(h)}, fresh ${spread(f)}: ${ratio(h.median / f.median)} × the time; peak RSS ${peak("long history")} against ${peak("fresh repository")}`);
  table.add(`${SMALL_MB} MB job on the long history`, `${spread(h)}; peak RSS ${peak("long history")}; restic added ${added("long history")} for the dump`);
  table.add(`${SMALL_MB} MB job on a fresh repository`, `${spread(f)}; peak RSS ${peak("fresh repository")}; restic added ${added("fresh repository")} for the dump`);
  table.add("long history / fresh (time)", ratio(h.median / f.median));
}

// ---------------------------------------------------------------- 3

async function sectionGrowth() {
  await removeContainers([PGB.name]);
  await execa("docker", ["volume", "rm", "-f", PGB.volume], { reject: false });
  const start = (compress) =>
    startPostgres(PGB.name, { project: PGB.project, volume: PGB.volume, labels: compress ? { "backup-agent.postgres.compress": String(compress) } : {} });
  await start(0);
  console.log(`  pgbench -i -s ${SCALE}`);
  await pgbench(PGB.name, "-i", "-q", "-s", String(SCALE));
  const onDisk = Number(await psql(PGB.name, `SELECT pg_database_size('${DB}')`));
  const repos = { 0: await newRepo("growth-z0"), 6: await newRepo("growth-z6") };
  try {
    const sizes = { 0: [await repoSize(repos[0])], 6: [await repoSize(repos[6])] };
    const dumps = { 0: [], 6: [] };
    const backup = async (compress) => {
      const r = await runAgent(`agent run postgres (pgbench, --compress=${compress})`, repos[compress], PGB.project);
      dumps[compress].push(r.dumpBytes);
      sizes[compress].push(await repoSize(repos[compress]));
      console.log(`  --compress=${compress}: ${seconds(r.seconds)}, dump ${mb(r.dumpBytes)}, repository +${mb(sizes[compress].at(-1) - sizes[compress].at(-2))}`);
    };
    // Order: -Z0, -Z6, traffic, -Z6, -Z0: one label change fewer, and each repository sees the same change.
    await backup(0);
    await start(6);
    await backup(6);
    console.log(`  pgbench -c 2 -t ${TX} (${2 * TX} transactions)`);
    await pgbench(PGB.name, "-n", "-c", "2", "-t", String(TX));
    await backup(6);
    await start(0);
    await backup(0);
    for (const z of [0, 6]) {
      const first = sizes[z][1] - sizes[z][0];
      const second = sizes[z][2] - sizes[z][1];
      const line = `${mb(second)} (${pct(second, dumps[z][1])} of the ${mb(dumps[z][1])} dump; the first added ${mb(first)})`;
      console.log(`  second backup adds, --compress=${z}: ${line}`);
      table.add(`second backup adds after ${2 * TX} pgbench transactions (scale ${SCALE}, ${mb(onDisk)} on disk), --compress=${z}${z ? "" : " (default)"}`, line);
    }
  } finally {
    removeRepo(repos[0]);
    removeRepo(repos[6]);
    await removeContainers([PGB.name]);
    await execa("docker", ["volume", "rm", "-f", PGB.volume], { reject: false });
  }
}

// ---------------------------------------------------------------- 4

async function sectionMany() {
  const names = Array.from({ length: CONTAINERS }, (_, i) => `${MANY.prefix}${String(i + 1).padStart(2, "0")}`);
  console.log(`  starting ${CONTAINERS} containers of ~${MANY_MB} MB`);
  try {
    for (let i = 0; i < names.length; i += 4) {
      await Promise.all(
        names.slice(i, i + 4).map(async (name, j) => {
          await startPostgres(name, { project: MANY.project, service: `db${String(i + j + 1).padStart(2, "0")}` });
          await fill(name, MANY_MB * 1e6, { quiet: true });
        }),
      );
    }
    const contenders = CONCURRENCY.map((c) => ({
      name: `concurrency ${c}`,
      run: async () => {
        const r = await agentFresh(`agent run postgres (${CONTAINERS} targets, BACKUP_CONCURRENCY=${c})`, MANY.project, { extra: { BACKUP_CONCURRENCY: String(c) } });
        const dumps = r.stored.filter((l) => l.kind === "postgres").length;
        if (dumps !== CONTAINERS) throw new RunFailed(`BACKUP_CONCURRENCY=${c}: ${dumps} dumps stored, expected ${CONTAINERS}:\n${r.all}`);
        return r;
      },
      describe: (r) => `${mb(r.dumpBytes)} dumped, peak RSS ${mb(r.treePeak)} tree / ${mb(r.rootHwm)} agent`,
    }));
    const results = await alternate("many", contenders, PAIRS);
    const one = summaryOf(results.get("concurrency 1")).median;
    for (const c of CONCURRENCY) {
      const t = summaryOf(results.get(`concurrency ${c}`));
      const peak = summaryOf(results.get(`concurrency ${c}`), "treePeak").median;
      const line = `${spread(t)}, speed-up ${ratio(one / t.median)} over 1; peak RSS ${mb(peak)} (tree)`;
      console.log(`  BACKUP_CONCURRENCY=${c}: ${line}`);
      table.add(`${CONTAINERS} × ${MANY_MB} MB databases, one run, BACKUP_CONCURRENCY=${c}`, line);
    }
  } finally {
    await removeContainers(names);
  }
}

// ---------------------------------------------------------------- 5

async function sectionVerify() {
  const b = await big();
  let repo = kept.bigAgentRepo;
  if (!repo) {
    console.log(`  backing up the ${SIZE_LABEL} database first (not timed here)`);
    repo = (await agentFresh(`agent run postgres (${SIZE_LABEL})`, b.project, { keep: true })).repo;
    kept.bigAgentRepo = repo;
  }
  const snaps = await snapshotsOf(repo, ["--tag", `kind=postgres,target=${b.service},database=${DB}`]);
  const snap = snaps.sort((x, y) => x.time.localeCompare(y.time)).at(-1);
  const script = [
    "set -e",
    `docker run -d --name ${RESTORE} --network none --tmpfs /var/lib/postgresql/data --tmpfs /var/run/postgresql -e POSTGRES_USER=${USER} -e POSTGRES_PASSWORD=bench -e POSTGRES_DB=${DB} ${PG_IMAGE} >/dev/null`,
    `i=0; until docker exec ${RESTORE} psql -X -qAt -U ${USER} -d ${DB} -c 'SELECT 1' >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 1200 ]; sleep 0.1; done`,
    `restic dump ${snap.id} ${snap.paths[0]} | docker exec -i ${RESTORE} pg_restore --exit-on-error --no-owner --no-acl -U ${USER} -d ${DB}`,
    `docker rm -f -v ${RESTORE} >/dev/null`,
  ].join("\n");
  const phases = (r) => {
    const at = (test) => r.lines.find(test)?.time;
    const t0 = at((l) => l.msg === "verify started");
    const removed = at((l) => l.msg === "throwaway container removed");
    const checked = at((l) => l.msg === "repository check passed");
    const end = at((l) => l.msg === "verify succeeded");
    // The check comes first (its exclusive lock cannot overlap the restores); the throwaway server starts beside it.
    return { check: (checked - t0) / 1000, restore: (removed - checked) / 1000, record: (end - removed) / 1000 };
  };
  try {
    const results = await alternate("verify", [
      {
        name: "run verify",
        run: async () => {
          const r = await runAgent(`agent run verify (${SIZE_LABEL})`, repo, b.project, { job: "verify" });
          return { ...r, ...phases(r) };
        },
        describe: (r) => `job ${seconds(r.jobSeconds)}: until the repository check passed ${seconds(r.check)}, then restore, count and remove ${seconds(r.restore)}, records ${seconds(r.record)}`,
      },
      {
        name: "bare restore",
        run: async () => {
          await removeContainers([RESTORE]);
          try {
            return await timedRun(`bare restore (${SIZE_LABEL})`, "sh", ["-c", script], { env: baseEnv(repo.env) });
          } finally {
            await removeContainers([RESTORE]);
          }
        },
      },
    ], PAIRS);
    const v = summaryOf(results.get("run verify"));
    const bare = summaryOf(results.get("bare restore"));
    const check = summaryOf(results.get("run verify"), "check");
    const restore = summaryOf(results.get("run verify"), "restore");
    console.log(`  run verify ${spread(v)} (until \`restic check --read-data-subset 5%\` passed ${spread(check)}, then restore, row counts and removal ${spread(restore)}); bare restore ${spread(bare)}: verify takes ${ratio(v.median / bare.median)} × the time`);
    table.add(`\`backup-agent run verify\` of the ${SIZE_LABEL} backup`, `${spread(v)}: start, discovery and \`restic check --read-data-subset 5%\` ${seconds(check.median)} (the throwaway server starts beside it), then restore, row counts and removal ${seconds(restore.median)}`);
    table.add("bare `restic dump | docker exec -i pg_restore` into a fresh container (start, ready, restore, remove)", spread(bare));
    table.add("verify / bare restore (time)", ratio(v.median / bare.median));
  } finally {
    await removeContainers([RESTORE]);
  }
}

// ---------------------------------------------------------------- 6

async function sectionMemory() {
  const repo = await newRepo("daemon");
  try {
    const crontab = join(repo.dir, "crontab");
    // Half a year from now: it cannot fire during the minute measured.
    const when = new Date(Date.now() + 182 * 86_400_000);
    writeFileSync(crontab, `${when.getUTCMinutes()} ${when.getUTCHours()} ${Math.min(28, when.getUTCDate())} ${when.getUTCMonth() + 1} * postgres\n`);
    const port = await freePort();
    console.log(`  daemon on 127.0.0.1:${port}, measured for ${IDLE_SECONDS} s`);
    const d = await idleDaemon(repo, SMALL.project, { seconds: IDLE_SECONDS, crontab, port });
    const rss = summarize(d.rss);
    const cpu = `${d.cpuSeconds.toFixed(2)} s CPU in ${seconds(d.wall)} (${((d.cpuSeconds / d.wall) * 100).toFixed(2)} % of one core)`;
    console.log(`  idle daemon: /healthz after ${seconds(d.healthyAfter)}; VmRSS ${spread(rss, mb)}, VmHWM ${mb(d.hwm)}; ${cpu}`);
    table.add(`daemon at rest (${IDLE_SECONDS} s)`, `VmRSS ${spread(rss, mb)}, VmHWM ${mb(d.hwm)}; ${cpu}`);
  } finally {
    removeRepo(repo);
  }
  for (const [key, what] of [["small", `${SMALL_MB} MB`], ["big", SIZE_LABEL]]) {
    const p = kept.peaks[key];
    if (!p) {
      console.log(`  peak RSS of run postgres on the ${what} database: section 1 did not run`);
      continue;
    }
    const line = `${mb(p.tree.median)} over its process tree (agent, helpers, restic; sampled), the agent's own VmHWM ${mb(p.hwm.median)}, on a ${mb(p.dump)} dump`;
    console.log(`  peak RSS of run postgres, ${what}: ${line}`);
    table.add(`peak RSS of \`run postgres\`, ${what} database`, line);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- 7

async function sectionRowCounts() {
  const probe = await newRepo("row-counts");
  let problem;
  try {
    const b = await big({ [ROW_COUNTS]: "dump" });
    problem = await rowCountsProblem(probe, b.project);
  } finally {
    removeRepo(probe);
  }
  if (problem) {
    console.log(`  row-counts label not supported by this build (the agent says: ${problem})`);
    table.add("row counts (`backup-agent.postgres.row-counts` dump / query / off)", "row-counts label not supported by this build");
    return;
  }
  const modes = ["dump", "query", "off"];
  const results = await alternate("row counts", modes.map((mode) => ({
    name: mode,
    run: async () => {
      const b = await big({ [ROW_COUNTS]: mode });
      const repo = await newRepo(`row-counts-${mode}`);
      try {
        const r = await runAgent(`agent run postgres (${SIZE_LABEL}, row-counts=${mode})`, repo, b.project);
        const manifest = await newestManifest(repo, b.service, restic);
        const tables = manifest?.files?.find((f) => f.kind === "postgres")?.tables;
        if ((mode === "off") !== (tables === undefined)) {
          throw new RunFailed(`row-counts=${mode}: the manifest ${tables ? "records" : "does not record"} row counts`);
        }
        return r;
      } finally {
        removeRepo(repo);
      }
    },
    describe: describeAgent,
  })), PAIRS).catch((error) => {
    if (error instanceof RunFailed && error.message.includes("row-counts") && /label|expected/.test(error.message)) return undefined;
    throw error;
  });
  if (!results) {
    console.log("  row-counts label not supported by this build (a run refused it)");
    table.add("row counts (`backup-agent.postgres.row-counts`)", "row-counts label not supported by this build");
    return;
  }
  const off = summaryOf(results.get("off")).median;
  for (const mode of modes) {
    const t = summaryOf(results.get(mode));
    const line = `${spread(t)}${mode === "off" ? "" : `: ${ratio(t.median / off)} × the time without counts`}`;
    console.log(`  row-counts=${mode}: ${line}`);
    table.add(`${SIZE_LABEL} job, \`row-counts=${mode}\`${mode === "dump" ? " (default)" : ""}`, line);
  }
  await big();
}

// ---------------------------------------------------------------- cleaning up

async function cleanup() {
  removeBuilding(HISTORY);
  await removeContainers(startedContainers());
  removeWorkDir();
}

/** `--clean`: every backup-agent-bench container, the data volumes, the history caches and scratch dirs. */
async function clean() {
  const ids = (await execa("docker", ["ps", "-aq", "--filter", "name=^/?backup-agent-bench"], { reject: false })).stdout.split("\n").filter(Boolean);
  if (ids.length) await execa("docker", ["rm", "-f", "-v", ...ids], { reject: false });
  await execa("docker", ["volume", "rm", "-f", BIG.volume, PGB.volume], { reject: false });
  let dirs = 0;
  for (const name of readdirSafe(BENCH_DIR)) {
    if (/^(history-|work-)/.test(name)) {
      rmSync(join(BENCH_DIR, name), { recursive: true, force: true });
      dirs++;
    }
  }
  console.log(`bench: removed ${ids.length} container(s), the volumes ${BIG.volume} and ${PGB.volume}, ${dirs} director(ies) under ${BENCH_DIR}`);
}

function readdirSafe(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------- the run

if (process.argv.includes("--clean")) {
  await clean();
  process.exit(0);
}

// `on`, not `once`: execa's exit handler re-raises a signal nobody else listens to, which would kill
// the bench before it cleaned up.
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\nbench: ${signal}: stopping and cleaning up`);
    stopRunning();
    void cleanup().finally(() => process.exit(130));
  });
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  if (!interrupted) console.error(`\nbench stopped: ${error instanceof RunFailed ? error.message : (error?.stack ?? error)}`);
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);
