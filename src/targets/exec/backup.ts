// One exec target: its command's stdout streamed into restic, then a manifest of its size and sha256.
// EOF is the commit, so a command that exits non-zero (or a container that stops) leaves no snapshot.
import { BackupError } from "../../core/errors.js";
import { exitNote, lastLines } from "../../core/text.js";
import type { Engine } from "../../docker/engine.js";
import { KIND } from "../../restic/tags.js";
import { runningContainer } from "../container.js";
import type { BackupOutcome, KindRun } from "../kind.js";
import { manifestEntry, writeManifest } from "../manifest.js";
import { storedItem, storeRunFile } from "../store.js";
import type { ExecTarget } from "./discover.js";

export const describeExecTarget = (name: string) => `exec target "${name}"`;

export async function backupExec(target: ExecTarget, engine: Engine, run: KindRun): Promise<BackupOutcome> {
  const what = describeExecTarget(target.name);
  if (target.problems.length) throw new BackupError(`${what}: ${target.problems.join("; ")}`, { target: target.name });
  const current = await runningContainer(engine, target, what);
  const id = { folder: KIND.exec, kind: KIND.exec, target: target.name, file: target.filename };
  const file = await storeRunFile(run, id, async (sink, signal) => {
    const result = await engine.exec(current.id, ["sh", "-c", target.command], sink, { user: target.user, signal });
    if (result.exitCode !== 0) {
      throw new BackupError(`${what}: the dump command exited ${result.exitCode}${exitNote(result.exitCode)}: ${lastLines(result.stderr)}`, { target: target.name, exitCode: result.exitCode });
    }
    // An empty dump is what a command that dumps the wrong thing (or nothing) gives: never a backup.
    if (sink.received === 0) {
      throw new BackupError(`${what}: the dump command exited 0 but wrote nothing to stdout (stderr: ${lastLines(result.stderr)})`, { target: target.name });
    }
  }).catch((error: unknown) => {
    throw error instanceof BackupError && error.target ? error : new BackupError(what, { target: target.name, cause: error });
  });
  const outcome: BackupOutcome = { stored: [storedItem(KIND.exec, file)], failed: [] };
  const manifest = { target: target.name, run: run.runId, image: current.image, command: target.command, files: [manifestEntry(KIND.exec, file)] };
  await writeManifest(run.repository, { kind: KIND.exec, target: target.name, run: run.runId }, manifest, run.signal).catch(
    (error: unknown) => outcome.failed.push({ kind: KIND.manifest, error: new BackupError(`${what}: storing the manifest`, { target: target.name, cause: error }) }),
  );
  return outcome;
}
