// How the bench runs backup-agent, from this checkout (node dist/main.js) or as its image, and what its JSON log says it stored.
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { baseEnv, cpuSecondsOf, jsonLines, memoryOf, must, RunFailed, timedRun, treeOf } from "./proc.mjs";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const MAIN = `${ROOT}dist/main.js`;
/** Node's flags as the image's ENTRYPOINT and the systemd unit run the agent. */
export const NODE_FLAGS = ["--max-semi-space-size=2"];
/** The environment the image and the systemd unit give Node besides the agent's settings. */
export const NODE_ENV = { MALLOC_ARENA_MAX: "2" };
export const AGENT_IMAGE = "backup-agent-bench/agent";
/**
 * The restic --host of every snapshot the agent makes is BACKUP_HOST (default "backup-agent", never the
 * machine's hostname). The bench sets it explicitly, and the history builder uses the same.
 */
export const AGENT_HOST = "backup-agent-bench";

/** The agent's environment for one run: a repository, a Compose project, JSON logs; nothing else of ours. */
export function agentEnv(repo, project, extra = {}) {
  return baseEnv({ ...repo.env, BACKUP_COMPOSE_PROJECT: project, BACKUP_HOST: AGENT_HOST, BACKUP_LOG_FORMAT: "json", ...NODE_ENV, ...extra });
}

/**
 * What one run's log says: the stored files (one `stored <file>` line each, logged when the target is
 * done), the dumps' bytes and what restic added for them, and the job's own duration (`<job> succeeded`).
 */
export function readAgentLog(output, job = "postgres") {
  const lines = jsonLines(output);
  const stored = lines.filter((l) => typeof l.msg === "string" && l.msg.startsWith("stored ") && l.file);
  const dumps = stored.filter((l) => l.kind === "postgres");
  const done = lines.find((l) => l.msg === `${job} succeeded`);
  return {
    stored,
    dumpBytes: dumps.reduce((sum, l) => sum + (l.bytes ?? 0), 0),
    dumpAdded: dumps.reduce((sum, l) => sum + (l.added ?? 0), 0),
    jobSeconds: done?.durationSeconds,
    lines,
  };
}

/** `node dist/main.js run <job>` as one whole, timed process. */
export async function runAgent(label, repo, project, { job = "postgres", extra = {} } = {}) {
  const run = await timedRun(label, process.execPath, [...NODE_FLAGS, MAIN, "run", job], { env: agentEnv(repo, project, extra) });
  const log = readAgentLog(run.stdout, job);
  if (job === "postgres" && log.stored.length === 0) throw new RunFailed(`${label}: exit code 0 but nothing was stored:\n${run.all}`);
  return { ...run, ...log };
}

export async function agentImageExists() {
  return (await execa("docker", ["image", "inspect", AGENT_IMAGE], { reject: false })).exitCode === 0;
}

/** Builds the agent's image from this checkout (only asked for with BENCH_IMAGE_BUILD=1). */
export async function buildAgentImage() {
  let certs = "";
  try {
    certs = (await execa("sh", ["-c", "cat /usr/local/share/ca-certificates/*.crt"], { reject: false })).stdout;
  } catch {}
  const started = performance.now();
  await must("docker", ["build", "--build-arg", "BASE_IMAGE=backup-agent-test/node:22", "--build-arg", `EXTRA_CA_CERTS=${certs}`, "-t", AGENT_IMAGE, "."], { cwd: ROOT });
  return (performance.now() - started) / 1000;
}

const socketGroup = async () => (await must("stat", ["-c", "%g", "/var/run/docker.sock"])).stdout.trim();

/**
 * The job as deployed: `docker run --rm` of the image as uid 10001 with the socket and the repository
 * mounted (the repository directory must be writable by 10001). Timed as a whole: container start,
 * the agent's start, the job, the container's removal.
 */
export async function runDeployed(label, repo, project) {
  await must("chown", ["-R", "10001:10001", repo.path]);
  const gid = await socketGroup();
  const name = `backup-agent-bench-agent-${process.pid}`;
  const args = ["run", "--rm", "--name", name, "--user", "10001", "-v", "/var/run/docker.sock:/var/run/docker.sock", "--group-add", gid,
    "-v", `${repo.path}:/repository`, "-e", "RESTIC_REPOSITORY=/repository", "-e", `RESTIC_PASSWORD=${repo.env.RESTIC_PASSWORD}`,
    "-e", `BACKUP_COMPOSE_PROJECT=${project}`, "-e", `BACKUP_HOST=${AGENT_HOST}`, AGENT_IMAGE, "run", "postgres"];
  try {
    const run = await timedRun(label, "docker", args, { env: baseEnv() });
    return { ...run, ...readAgentLog(run.stdout) };
  } finally {
    await execa("docker", ["rm", "-f", name], { reject: false });
  }
}

/**
 * Whether this build knows the label backup-agent.postgres.row-counts: `plan --json` lists a label it
 * does not know as a problem (`run postgres` itself does not check labels, so it would silently ignore
 * it). Returns undefined when it is supported, else the problem the agent names.
 */
export async function rowCountsProblem(repo, project) {
  const r = await execa(process.execPath, [MAIN, "plan", "--json"], { env: agentEnv(repo, project), extendEnv: false, reject: false, all: true });
  let plan;
  try {
    plan = JSON.parse(r.stdout);
  } catch {
    throw new RunFailed(`plan --json failed (exit code ${r.exitCode}):\n${r.all}`);
  }
  const problems = [...(plan.problems ?? []), ...(plan.targets ?? []).flatMap((t) => t.problems ?? [])];
  return problems.find((p) => p.includes("row-counts"));
}

/** The manifest.json of a repository's newest run of `target`, parsed. */
export async function newestManifest(repo, target, restic) {
  const snaps = JSON.parse((await restic(repo, ["snapshots", "--json", "--no-lock", "--tag", `kind=manifest,target=${target}`])).stdout);
  const snap = snaps.sort((a, b) => a.time.localeCompare(b.time)).at(-1);
  if (!snap) return undefined;
  return JSON.parse((await restic(repo, ["dump", "--no-lock", snap.id, snap.paths[0]])).stdout);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The daemon at rest: started with a schedule that does not fire during the measurement, asked
 * /healthz until it answers, left to finish its start-up (no child process left), then its VmRSS
 * sampled every second and its CPU time (utime+stime, with reaped children) read before and after.
 */
export async function idleDaemon(repo, project, { seconds, crontab, port }) {
  const env = agentEnv(repo, project, { BACKUP_CRONTAB: crontab, BACKUP_HTTP_LISTEN: `127.0.0.1:${port}` });
  const started = performance.now();
  const child = execa(process.execPath, [...NODE_FLAGS, MAIN, "daemon"], { env, extendEnv: false, reject: false, all: true });
  const failed = async (why) => {
    child.kill("SIGKILL");
    const r = await child;
    return new RunFailed(`daemon: ${why} (exit code ${r.exitCode}):\n${r.all}`);
  };
  try {
    for (let healthy = false; !healthy; ) {
      if (child.exitCode !== null) throw await failed("exited before /healthz answered");
      healthy = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
      if (!healthy && performance.now() - started > 60_000) throw await failed("/healthz did not answer within 60 s");
      if (!healthy) await sleep(100);
    }
    const healthyAfter = (performance.now() - started) / 1000;
    for (let i = 0; i < 300 && treeOf(child.pid).length > 1; i++) await sleep(200);
    const ticks = Number((await must("getconf", ["CLK_TCK"])).stdout.trim());
    const cpuBefore = cpuSecondsOf(child.pid, ticks);
    const from = performance.now();
    const rss = [];
    for (let i = 0; i < seconds; i++) {
      await sleep(1000);
      const m = memoryOf(child.pid);
      if (!m) throw await failed("exited while idle");
      rss.push(m.rss);
    }
    const cpuSeconds = cpuSecondsOf(child.pid, ticks) - cpuBefore;
    const wall = (performance.now() - from) / 1000;
    const hwm = memoryOf(child.pid)?.hwm ?? 0;
    child.kill("SIGTERM");
    const result = await child;
    if (result.exitCode !== 0) throw new RunFailed(`daemon: exit code ${result.exitCode} after SIGTERM:\n${result.all}`);
    return { rss, hwm, cpuSeconds, wall, healthyAfter };
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}
