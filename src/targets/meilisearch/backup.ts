// One Meilisearch target: ask for a snapshot, wait for its task to succeed, then stream the newest
// snapshot file out of the container into restic, and a manifest of its size and checksum beside it.
import type { Secret } from "../../config/secret.js";
import { BackupError } from "../../core/errors.js";
import type { Engine } from "../../docker/engine.js";
import { KIND } from "../../restic/tags.js";
import { runningContainer } from "../container.js";
import type { BackupOutcome, KindRun } from "../kind.js";
import { manifestEntry, writeManifest } from "../manifest.js";
import { storedItem, storeRunFile } from "../store.js";
import { listSnapshotFiles, type SnapshotFile, streamSnapshotFile } from "./archive.js";
import { type MeiliApi, MeiliHttpClient } from "./client.js";
import type { MeiliTarget } from "./discover.js";
import { MEILISEARCH_LABELS } from "./labels.js";
import { waitForTask } from "./task.js";

export interface MeilisearchSettings {
  /** BACKUP_MEILI_API_KEY: used for every target instead of the container's MEILI_MASTER_KEY. */
  apiKey: Secret | undefined;
  pollIntervalMs: number;
  timeoutMs: number;
}

export interface MeiliDeps {
  engine: Engine;
  meilisearch: MeilisearchSettings;
  /** How to reach a target's API; undici over HTTP unless a test says otherwise. */
  client?: (target: MeiliTarget) => MeiliApi;
}

export const describeMeiliTarget = (name: string) => `meilisearch target "${name}"`;
/** Tar mtimes have whole seconds; allow that and a little more before calling a file stale. */
const MTIME_SLACK_MS = 2_000;

export async function backupMeilisearch(target: MeiliTarget, deps: MeiliDeps, run: KindRun): Promise<BackupOutcome> {
  const what = describeMeiliTarget(target.name);
  const fail = (message: string, cause?: unknown) => new BackupError(`${what}: ${message}`, { target: target.name, cause });
  if (target.problems.length) throw fail(target.problems.join("; "));
  const current = await runningContainer(deps.engine, target, what);
  const log = run.log.child({ target: target.name });
  const client =
    deps.client?.(target) ??
    new MeiliHttpClient({ target: target.name, url: target.url, apiKey: target.apiKey, keySource: target.keySource });
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
  const id = { folder: KIND.meilisearch, kind: KIND.meilisearch, target: target.name, file: file.name };
  const stored = await storeRunFile(run, id, async (sink, signal) => {
    await streamSnapshotFile(deps.engine, current.id, file, sink, signal);
  }).catch((error: unknown) => {
    throw fail(`storing ${file.path}`, error);
  });
  const outcome: BackupOutcome = { stored: [storedItem(KIND.meilisearch, stored)], failed: [] };
  const manifest = {
    target: target.name,
    run: run.runId,
    image: current.image,
    url: target.url,
    task: { uid, enqueuedAt: task.enqueuedAt, startedAt: task.startedAt, finishedAt: task.finishedAt, duration: task.duration },
    files: [manifestEntry(KIND.meilisearch, stored, { source: file.path, modified: file.mtime.toISOString() })],
  };
  await writeManifest(run.repository, { kind: KIND.meilisearch, target: target.name, run: run.runId }, manifest, run.signal).catch(
    (error: unknown) => outcome.failed.push({ kind: KIND.manifest, error: fail("storing the manifest", error) }),
  );
  return outcome;
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
    throw fail(`cannot read ${where} (${hint})`, error);
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
