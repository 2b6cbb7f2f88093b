// Verify of a kind that stores one file per run (Meilisearch, exec): the newest file is read back in
// full and its size and sha256 compared with what the manifest of the same run recorded.
import type { PassThrough } from "node:stream";
import { BackupError } from "../core/errors.js";
import type { Snapshot } from "../restic/repository.js";
import { isRecordedSnapshot, newestAtOrBefore } from "../restic/select.js";
import { checksumProblem, drain, readChecked } from "./checked-stream.js";
import type { KindRun, VerifyPart } from "./kind.js";
import { readManifest } from "./manifest.js";

export interface RecordedKind {
  kind: string;
  describe: (name: string) => string;
  /** A file stored before this kind wrote manifests: read it back and say only that was checked. */
  acceptUnrecorded?: boolean;
}

/**
 * Reads the newest file back against its record. `consume`, when given, gets the bytes as they are
 * read (a check the kind runs on them) and returns a problem or undefined.
 */
export async function verifyNewestRecorded(
  k: RecordedKind,
  name: string,
  snapshots: readonly Snapshot[],
  run: KindRun,
  consume?: (input: PassThrough) => Promise<string | undefined>,
): Promise<VerifyPart[]> {
  const what = k.describe(name);
  const fail = (message: string, cause?: unknown) => new BackupError(`${what}: ${message}`, { target: name, cause });
  const snapshot = newestAtOrBefore(snapshots, { kind: k.kind, target: name });
  if (!snapshot) throw fail(`no backup to verify (no ${k.kind} snapshot in the repository)`);
  const short = snapshot.id.slice(0, 8);
  const found = await readManifest(run.repository, snapshots, { kind: k.kind, target: name, run: snapshot.tags.run }, run.signal).catch(
    (error: unknown) => {
      throw fail("cannot read its manifest", error);
    },
  );
  let file = found?.manifest.files.find((f) => isRecordedSnapshot(snapshot, f.snapshot));
  if (!found && !k.acceptUnrecorded) throw fail(`snapshot ${short} (run ${snapshot.tags.run}) has no manifest recording its checksum`);
  if (found && !file) throw fail(`the manifest of run ${snapshot.tags.run} does not list snapshot ${short}`);
  file ??= { kind: k.kind, file: snapshot.paths[0] ?? "", snapshot: snapshot.id, size: -1, sha256: "" };
  let checkProblem: string | undefined;
  const reader = consume ? async (input: PassThrough) => void (checkProblem = await consume(input)) : drain;
  const checked = await readChecked(run.repository, [snapshot], file, run.signal, reader).catch((error: unknown) => {
    throw fail(`snapshot ${short} cannot be read back`, error);
  });
  if (file.size < 0) {
    run.log.warn({ target: name, snapshot: short }, `${what}: snapshot ${short} has no manifest (stored before checksums were recorded): it was only read back`);
    return [{ database: "", ok: checkProblem === undefined, problem: checkProblem }];
  }
  const problem =
    checksumProblem(file, checked) ?? (checked.consumeError ? (checked.consumeError as Error).message : undefined) ?? checkProblem;
  if (!problem) run.log.info({ target: name, snapshot: short, bytes: checked.size }, `verified ${k.kind} ${name}`);
  return [{ database: "", ok: problem === undefined, problem }];
}
