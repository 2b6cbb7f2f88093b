// One Meilisearch target: ask for a snapshot, wait for its task to succeed, then stream the newest
// snapshot file out of the container into restic, and a manifest of its size and checksum beside it.
import type { Logger } from "pino";
import type { Secret } from "../../config/secret.js";
import { BackupError } from "../../core/errors.js";
import type { Engine } from "../../docker/engine.js";
import type { TargetMetrics } from "../../report/target-metrics.js";
import type { ResticRepository } from "../../restic/repository.js";
import { identityTags } from "../../restic/tags.js";
import { MEILISEARCH_LABELS } from "../labels.js";
import { type StoredFile, storeStream } from "../store.js";
import { listSnapshotFiles, type SnapshotFile, streamSnapshotFile } from "./archive.js";
import { type MeiliApi, MeiliHttpClient } from "./client.js";
import type { MeiliTarget } from "./discover.js";
import { waitForTask } from "./task.js";

export interface MeilisearchSettings {
  /** BACKUP_MEILI_API_KEY: used for every target instead of the container's MEILI_MASTER_KEY. */
  apiKey: Secret | undefined;
  pollIntervalMs: number;
  timeoutMs: number;
}

export interface MeiliDeps {
  engine: Engine;
  repository: ResticRepository;
  host: string;
  metrics: TargetMetrics;
  meilisearch: MeilisearchSettings;
  /** How to reach a target's API; undici over HTTP unless a test says otherwise. */
  client?: (target: MeiliTarget) => MeiliApi;
}

export interface RunInfo {
  runId: string;
  signal: AbortSignal;
  log: Logger;
}

export const MEILISEARCH_KIND = "meilisearch";
/** Tar mtimes have whole seconds; allow that and a little more before calling a file stale. */
const MTIME_SLACK_MS = 2_000;

export async function backupMeilisearch(
  target: MeiliTarget,
  deps: MeiliDeps,
  run: RunInfo,
): Promise<StoredFile> {
  const log = run.log.child({ target: target.name });
  const fail = (message: string, cause?: unknown) =>
    new BackupError(`meilisearch target "${target.name}": ${message}`, { target: target.name, cause });
  if (target.problems.length) throw fail(target.problems.join("; "));
  const current = await deps.engine.inspect(target.container.id);
  if (!current) throw fail(`container ${target.container.name} no longer exists`);
  if (!current.running) throw fail(`container ${current.name} is not running (state: ${current.state})`);

  const client =
    deps.client?.(target) ??
    new MeiliHttpClient({
      target: target.name,
      url: target.url,
      apiKey: target.apiKey,
      keySource: target.keySource,
    });
  const uid = await client.createSnapshot(run.signal);
  log.info({ task: uid, url: target.url }, "snapshot task enqueued");
  const task = await waitForTask(client, uid, {
    target: target.name,
    intervalMs: deps.meilisearch.pollIntervalMs,
    timeoutMs: deps.meilisearch.timeoutMs,
    signal: run.signal,
    onStatus: (t) => log.debug({ task: uid, status: t.status }, `snapshot task ${t.status}`),
  });
  log.info({ task: uid, duration: task.duration }, "snapshot task succeeded");

  const file = await newestSnapshot(deps.engine, target, task.enqueuedAt, run.signal, fail);
  const filename = await deps.repository.stdinFilename(["meilisearch", target.name, file.name], run.signal);
  const stored = await storeStream(
    {
      env: deps.repository.env,
      host: deps.host,
      filename,
      tags: identityTags({ kind: MEILISEARCH_KIND, target: target.name, run: run.runId }),
      signal: run.signal,
    },
    async (sink, signal) => {
      await streamSnapshotFile(deps.engine, target.container.id, file, sink, signal);
    },
  ).catch((error: unknown) => {
    throw fail(`storing ${file.path}: ${(error as Error).message}`, error);
  });
  deps.metrics.success(
    { kind: MEILISEARCH_KIND, target: target.name, database: "" },
    new Date(),
    stored.size,
    stored.durationSeconds,
  );
  log.info(
    {
      file: stored.filename,
      snapshot: stored.snapshotId.slice(0, 8),
      bytes: stored.size,
      added: stored.dataAdded,
    },
    `stored ${stored.filename}`,
  );

  const manifest = {
    target: target.name,
    run: run.runId,
    image: current.image,
    url: target.url,
    task: {
      uid,
      enqueuedAt: task.enqueuedAt,
      startedAt: task.startedAt,
      finishedAt: task.finishedAt,
      duration: task.duration,
    },
    files: [
      {
        kind: MEILISEARCH_KIND,
        file: stored.filename,
        source: file.path,
        modified: file.mtime.toISOString(),
        snapshot: stored.snapshotId,
        size: stored.size,
        sha256: stored.sha256,
      },
    ],
  };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  await storeStream(
    {
      env: deps.repository.env,
      host: deps.host,
      filename: await deps.repository.stdinFilename(
        ["meilisearch", target.name, "manifest.json"],
        run.signal,
      ),
      tags: identityTags({ kind: "manifest", target: target.name, run: run.runId }),
      signal: run.signal,
    },
    async (sink) => void sink.write(text),
  );
  return stored;
}

/**
 * The newest *.snapshot file in the target's snapshot directory. It must be at least as new as the
 * task: an older one means Meilisearch wrote its snapshot somewhere else, and backing up whatever
 * file happens to be there is the bug this agent exists to prevent.
 */
async function newestSnapshot(
  engine: Engine,
  target: MeiliTarget,
  enqueuedAt: string | undefined,
  signal: AbortSignal,
  fail: (message: string, cause?: unknown) => BackupError,
): Promise<SnapshotFile> {
  const where = `${target.snapshotDir} of container ${target.container.name}`;
  const hint = `Meilisearch's --snapshot-dir and label ${MEILISEARCH_LABELS.snapshotDir} must name the same directory`;
  let files: SnapshotFile[];
  try {
    files = await listSnapshotFiles(engine, target.container.id, target.snapshotDir, signal);
  } catch (error) {
    signal.throwIfAborted();
    throw fail(`cannot read ${where}: ${(error as Error).message}; ${hint}`, error);
  }
  const newest = files[0];
  if (!newest) {
    throw fail(`the snapshot task succeeded but there is no *.snapshot file in ${where}; ${hint}`);
  }
  const started = enqueuedAt ? Date.parse(enqueuedAt) : Number.NaN;
  if (Number.isFinite(started) && newest.mtime.getTime() < started - MTIME_SLACK_MS) {
    throw fail(
      `the newest snapshot file ${newest.path} was written at ${newest.mtime.toISOString()}, before the task was enqueued (${enqueuedAt}): it is not this snapshot; ${hint}`,
    );
  }
  return newest;
}
