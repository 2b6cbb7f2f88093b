// Local restic repositories of the bench: a fresh one (initialised outside the timing) for every timed run, copies of a cached one, their size and index files.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { must } from "./proc.mjs";

/** Everything the bench keeps or makes on disk lives below this directory. */
export const BENCH_DIR = "/tmp/backup-agent-bench";
/** This run's scratch space, removed at the end. */
export const WORK_DIR = join(BENCH_DIR, `work-${process.pid}`);
export const PASSWORD = "bench";

/**
 * A repository (`repo`) with its own restic cache (`cache`) beside it in one directory. The cache is
 * what a cron user's restic keeps between runs in ~/.cache/restic; giving each repository its own
 * keeps them from sharing one and leaves nothing behind.
 */
function layout(dir) {
  const path = join(dir, "repo");
  const cache = join(dir, "cache");
  return { dir, path, cache, env: { RESTIC_REPOSITORY: path, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: cache } };
}

export function scratchDir(label) {
  mkdirSync(WORK_DIR, { recursive: true });
  return mkdtempSync(join(WORK_DIR, `${label}-`));
}

/** A new, initialised repository (the init is not part of any timing). */
export async function newRepo(label) {
  const repo = layout(scratchDir(label));
  await restic(repo, ["init", "-q"]);
  return repo;
}

/** A repository and its cache in `dir` (for the history cache). */
export const repoAt = (dir) => layout(dir);

/** A copy of a repository and its cache, so a timed run can add to it and the original stays. */
export async function copyRepo(source, label) {
  const dir = scratchDir(label);
  await must("cp", ["-a", source.path, ...(existsSync(source.cache) ? [source.cache] : []), dir]);
  return layout(dir);
}

export function removeRepo(repo) {
  if (repo) rmSync(repo.dir, { recursive: true, force: true });
}

export const restic = (repo, args, options = {}) => must("restic", args, { ...options, env: { ...process.env, ...repo.env, ...options.env } });

/** Bytes on disk, as `du -sb` counts them. */
export async function repoSize(repo) {
  return Number((await must("du", ["-sb", repo.path])).stdout.split("\t")[0]);
}

export const indexFiles = (repo) => readdirSync(join(repo.path, "index")).length;

export async function snapshotsOf(repo, filter = []) {
  return JSON.parse((await restic(repo, ["snapshots", "--json", "--no-lock", ...filter])).stdout);
}

export function removeWorkDir() {
  rmSync(WORK_DIR, { recursive: true, force: true });
}
