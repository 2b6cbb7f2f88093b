// A repository with a long history of agent-like snapshots (hourly runs of globals, dump and manifest, tagged and named as the agent does), built fast with restic backup --time and cached between bench runs.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { must } from "./proc.mjs";
import { BENCH_DIR, indexFiles, PASSWORD, repoAt, repoSize, restic } from "./repos.mjs";

/** Tags exactly as src/restic/tags.ts identityTags() orders them. */
const tags = ({ kind, target, run, database, forKind }) =>
  ["backup-agent", `kind=${kind}`, `target=${target}`, `run=${run}`, ...(database ? [`database=${database}`] : []), ...(forKind ? [`for=${forKind}`] : [])];

/** The stored file's name: restic 0.18.0 cannot store a stdin file below a directory (restic#5324), so the agent joins the parts with "__". */
const fileName = (version, target, file) => (version === "0.18.0" ? `postgres__${target}__${file}` : `postgres/${target}/${file}`);

const GLOBALS = `--
-- PostgreSQL database cluster dump
--

SET default_transaction_read_only = off;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;

--
-- Roles
--

CREATE ROLE bench;
ALTER ROLE bench WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS PASSWORD 'SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo:c2VydmVya2V5c2VydmVya2V5';

--
-- PostgreSQL database cluster dump complete
--
`;

const sha256 = (data) => createHash("sha256").update(data).digest("hex");
const hourText = (ms) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

/** One `restic backup --stdin` at a given time; returns the snapshot id. */
async function backupAt(repo, { name, host, time, tagList, data }) {
  const r = await execa(
    "restic",
    ["backup", "--stdin", "--stdin-filename", name, "--host", host, "--time", time, "--tag", tagList.join(","), "--json"],
    { env: { ...process.env, ...repo.env, TZ: "UTC" }, input: data, reject: false, all: true },
  );
  const summary = r.stdout
    .split("\n")
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return {};
      }
    })
    .find((l) => l.message_type === "summary");
  if (r.exitCode !== 0 || !summary?.snapshot_id) throw new Error(`restic backup of ${name} at ${time} failed (exit ${r.exitCode}):\n${r.all}`);
  return summary.snapshot_id;
}

/**
 * Builds `runs` hourly runs ending an hour ago, `jobs` at a time (backups take non-exclusive locks).
 * Each run stores what the agent's postgres job stores for one database: globals.sql, the dump (the
 * previous hour's with 256 bytes changed at a random place: about one new restic chunk) and a
 * manifest.json naming both, in that order, tagged and named like the agent's.
 */
async function build(repo, { runs, target, host, dump, rows, jobs, version, onProgress }) {
  const current = Buffer.from(dump);
  const firstHour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - runs * 3_600_000;
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      const r = next++;
      if (r >= runs) return;
      // Hour r's dump: the previous one, changed a little.
      randomBytes(256).copy(current, 4096 + Math.floor(Math.random() * (current.length - 4096 - 256)));
      const data = Buffer.from(current);
      const run = randomUUID();
      const time = hourText(firstHour + r * 3_600_000);
      const globalsName = fileName(version, target, "globals.sql");
      const dumpName = fileName(version, target, "bench.dump");
      const [globalsId, dumpId] = await Promise.all([
        backupAt(repo, { name: globalsName, host, time, tagList: tags({ kind: "postgres-globals", target, run }), data: GLOBALS }),
        backupAt(repo, { name: dumpName, host, time, tagList: tags({ kind: "postgres", target, run, database: "bench" }), data }),
      ]);
      const manifest = {
        target,
        run,
        image: "backup-agent-test/postgres:17",
        files: [
          { kind: "postgres-globals", file: globalsName, snapshot: globalsId, size: Buffer.byteLength(GLOBALS), sha256: sha256(GLOBALS) },
          { kind: "postgres", file: dumpName, snapshot: dumpId, size: data.length, sha256: sha256(data), database: "bench", tables: { "public.rows": rows } },
        ],
      };
      await backupAt(repo, {
        name: fileName(version, target, "manifest.json"),
        host,
        time,
        tagList: tags({ kind: "manifest", target, run, forKind: "postgres" }),
        data: `${JSON.stringify(manifest, null, 2)}\n`,
      });
      done++;
      onProgress?.(done * 3);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
}

/**
 * The cached history of at least `snapshots` snapshots under /tmp/backup-agent-bench/history-<N>
 * (repository and restic cache), built first when missing or made for another target or host. Returns
 * the repository (never time a run on it directly: copy it) and what describes it.
 */
export async function historyRepo({ snapshots, target, host, dump, rows, jobs, log = console.log }) {
  const dir = join(BENCH_DIR, `history-${snapshots}`);
  const metaFile = join(dir, "meta.json");
  if (existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, "utf8"));
    if (meta.target === target && meta.host === host) {
      log(`  history: cached in ${dir} (built ${meta.builtAt} in ${meta.buildSeconds.toFixed(0)} s)`);
      return { repo: repoAt(dir), meta, cached: true };
    }
    log(`  history: ${dir} was made for target ${meta.target}, host ${meta.host}: building it again`);
  }
  rmSync(dir, { recursive: true, force: true });
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const repo = repoAt(building);
  await restic(repo, ["init", "-q"]);
  const version = /restic (\d+\.\d+\.\d+)/.exec((await must("restic", ["version"])).stdout)?.[1];
  const runs = Math.ceil(snapshots / 3);
  log(`  history: building ${runs * 3} snapshots (${runs} hourly runs of a ${(dump.length / 1e6).toFixed(1)} MB dump), ${jobs} runs at a time (up to ${2 * jobs} restic processes)`);
  const started = performance.now();
  let lastPrint = 0;
  await build(repo, {
    runs,
    target,
    host,
    dump,
    rows,
    jobs,
    version,
    onProgress: (made) => {
      const now = performance.now();
      if (now - lastPrint < 10_000 && made < runs * 3) return;
      lastPrint = now;
      const s = (now - started) / 1000;
      const left = ((runs * 3 - made) * s) / made;
      process.stdout.write(`\r  history: ${made}/${runs * 3} snapshots, ${(made / s).toFixed(2)}/s, ${s.toFixed(0)} s so far, about ${left.toFixed(0)} s to go   `);
    },
  });
  process.stdout.write("\n");
  const buildSeconds = (performance.now() - started) / 1000;
  const meta = {
    target,
    host,
    runs,
    snapshots: (JSON.parse((await restic(repo, ["snapshots", "--json", "--no-lock"])).stdout)).length,
    indexFiles: indexFiles(repo),
    bytes: await repoSize(repo),
    dumpBytes: dump.length,
    buildSeconds,
    jobs,
    builtAt: new Date().toISOString(),
    password: PASSWORD,
  };
  writeFileSync(join(building, "meta.json"), `${JSON.stringify(meta, null, 2)}\n`);
  renameSync(building, dir);
  return { repo: repoAt(dir), meta, cached: false };
}

/** Removes a half-built history of this process (interrupted). */
export function removeBuilding(snapshots) {
  rmSync(join(BENCH_DIR, `history-${snapshots}.building-${process.pid}`), { recursive: true, force: true });
}
