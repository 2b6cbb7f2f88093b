// Restore-verify of one Meilisearch target: the newest snapshot file is read back out of restic in
// full and its sha256 and size compared with the manifest written beside it at backup time.
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Logger } from "pino";
import { BackupError } from "../../core/errors.js";
import type { ResticEnv } from "../../restic/command.js";
import { dumpText } from "../../restic/dump.js";
import type { Snapshot } from "../../restic/snapshots.js";
import { newestAtOrBefore, parseManifest } from "../postgres/manifest.js";
import { streamChecked } from "../postgres/verify.js";
import { MEILISEARCH_KIND } from "./backup.js";

export async function verifyMeilisearch(
  name: string,
  env: ResticEnv,
  snapshots: readonly Snapshot[],
  run: { signal: AbortSignal; log: Logger },
): Promise<void> {
  const fail = (message: string, cause?: unknown) =>
    new BackupError(`meilisearch target "${name}": ${message}`, { target: name, cause });
  const snapshot = newestAtOrBefore(snapshots, { kind: MEILISEARCH_KIND, target: name });
  if (!snapshot) throw fail("no backup to verify (no meilisearch snapshot in the repository)");
  const short = snapshot.id.slice(0, 8);
  // The manifest of the same run records the file's checksum (its path names the kind: meilisearch/…).
  const manifestSnapshot = snapshots.find(
    (s) =>
      s.tags.kind === "manifest" &&
      s.tags.target === name &&
      s.tags.run === snapshot.tags.run &&
      (s.paths[0] ?? "").includes("meilisearch"),
  );
  const manifestPath = manifestSnapshot?.paths[0];
  if (!manifestSnapshot || !manifestPath)
    throw fail(`snapshot ${short} (run ${snapshot.tags.run}) has no manifest recording its checksum`);
  let file;
  try {
    const manifest = parseManifest(await dumpText(env, manifestSnapshot.id, manifestPath, run.signal));
    file = manifest.files.find((f) => f.snapshot === snapshot.id || snapshot.id.startsWith(f.snapshot));
  } catch (error) {
    throw fail(`cannot read its manifest: ${(error as Error).message}`, error);
  }
  if (!file) throw fail(`the manifest of run ${snapshot.tags.run} does not list snapshot ${short}`);
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const checked = await streamChecked(env, [snapshot], file, run.signal, (input) => pipeline(input, sink)).catch(
    (error: unknown) => {
      throw fail(`snapshot ${short} cannot be read back: ${(error as Error).message}`, error);
    },
  );
  if (checked.sha256 !== file.sha256 || checked.size !== file.size) {
    throw fail(
      `sha256 ${checked.sha256} (${checked.size} bytes) stored, but ${file.sha256} (${file.size} bytes) recorded at backup time`,
    );
  }
  run.log.info({ target: name, snapshot: short, bytes: checked.size }, `verified meilisearch ${name}`);
}
