// Whole processes as a user's cron sees them: timed from spawn to exit, their process tree's memory sampled from /proc, and a failed run that stops the bench with its output.
import { readdirSync, readFileSync } from "node:fs";
import { execa } from "execa";

const SAMPLE_MS = 100;

/** The environment every timed command gets: nothing of ours leaks in (no BENCH_*, no stray BACKUP_*). */
export function baseEnv(extra = {}) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? "/root", LANG: process.env.LANG ?? "C.UTF-8" };
  if (process.env.DOCKER_HOST) env.DOCKER_HOST = process.env.DOCKER_HOST;
  return { ...env, ...extra };
}

export class RunFailed extends Error {}

/** Timed commands still running: stopped when the bench is interrupted. */
const live = new Set();
export function stopRunning() {
  for (const child of live) child.kill("SIGTERM");
}

/** VmRSS and VmHWM of one process in bytes, or undefined once it is gone. */
export function memoryOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0) * 1024;
    return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
  } catch {
    return undefined;
  }
}

/** The pid and every descendant of it, through each thread's children list (restic and node fork from any thread). */
export function treeOf(pid) {
  const out = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    out.push(p);
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        for (const child of readFileSync(`/proc/${p}/task/${task}/children`, "utf8").trim().split(/\s+/)) {
          if (child) stack.push(Number(child));
        }
      } catch {}
    }
  }
  return out;
}

/** CPU time of one process and of its children it has waited for (utime, stime, cutime, cstime), in seconds. */
export function cpuSecondsOf(pid, ticksPerSecond) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces: count the fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) / ticksPerSecond;
}

/**
 * Runs one whole command and times it from spawn to exit. Meanwhile samples, every 100 ms, the sum of
 * VmRSS over its process tree (the agent, its helper node processes, restic) and the root process's own
 * VmHWM. A non-zero exit throws RunFailed carrying the command's whole output: a failed run never counts.
 */
export async function timedRun(label, file, args, { env, input } = {}) {
  const started = performance.now();
  const child = execa(file, args, { env, extendEnv: false, reject: false, all: true, input, stripFinalNewline: false, maxBuffer: 256e6 });
  let exitedAt;
  child.once("exit", () => (exitedAt = performance.now()));
  live.add(child);
  let treePeak = 0;
  let rootHwm = 0;
  const sample = () => {
    if (!child.pid || exitedAt !== undefined) return;
    let sum = 0;
    for (const pid of treeOf(child.pid)) {
      const m = memoryOf(pid);
      if (!m) continue;
      sum += m.rss;
      if (pid === child.pid) rootHwm = Math.max(rootHwm, m.hwm);
    }
    treePeak = Math.max(treePeak, sum);
  };
  const timer = setInterval(sample, SAMPLE_MS);
  sample();
  const result = await child;
  clearInterval(timer);
  live.delete(child);
  const seconds = ((exitedAt ?? performance.now()) - started) / 1000;
  if (result.exitCode !== 0 || result.failed) {
    const why = result.exitCode !== undefined ? `exit code ${result.exitCode}` : result.shortMessage;
    throw new RunFailed(`${label} failed (${why}) after ${seconds.toFixed(1)} s: ${[file, ...args].join(" ")}\n--- its output ---\n${result.all ?? ""}\n--- end of its output ---`);
  }
  return { seconds, treePeak, rootHwm, stdout: String(result.stdout), stderr: String(result.stderr), all: String(result.all ?? "") };
}

/** Runs a helper command (not timed); throws with its output when it fails. */
export async function must(file, args, options = {}) {
  const result = await execa(file, args, { reject: false, all: true, ...options });
  if (result.exitCode !== 0 || result.failed) {
    throw new RunFailed(`${[file, ...args].join(" ").slice(0, 300)} failed (exit code ${result.exitCode}):\n${String(result.all ?? result.message).slice(-4000)}`);
  }
  return result;
}

/** JSON lines of a log (pino's), anything else skipped. */
export function jsonLines(text) {
  const out = [];
  for (const line of String(text).split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      out.push(JSON.parse(line));
    } catch {}
  }
  return out;
}
