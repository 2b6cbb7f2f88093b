// One exec target: its command's stdout streamed into restic; EOF is the commit, so a command that
// exits non-zero (or a container that stops) leaves no snapshot.
import type { Logger } from "pino";
import { BackupError } from "../../core/errors.js";
import type { Engine } from "../../docker/engine.js";
import type { TargetMetrics } from "../../report/target-metrics.js";
import type { ResticRepository } from "../../restic/repository.js";
import { identityTags } from "../../restic/tags.js";
import { lastLines } from "../postgres/sql.js";
import { type StoredFile, storeStream } from "../store.js";
import { EXEC_KIND, type ExecTarget } from "./discover.js";

export interface ExecDeps {
  engine: Engine;
  repository: ResticRepository;
  host: string;
  metrics: TargetMetrics;
}

export async function backupExec(
  target: ExecTarget,
  deps: ExecDeps,
  run: { runId: string; signal: AbortSignal; log: Logger },
): Promise<StoredFile> {
  const fail = (message: string, cause?: unknown) =>
    new BackupError(`exec target "${target.name}": ${message}`, { target: target.name, cause });
  if (target.problems.length) throw fail(target.problems.join("; "));
  const current = await deps.engine.inspect(target.container.id);
  if (!current) throw fail(`container ${target.container.name} no longer exists`);
  if (!current.running) throw fail(`container ${current.name} is not running (state: ${current.state})`);
  const filename = await deps.repository.stdinFilename([EXEC_KIND, target.name, target.filename], run.signal);
  const tags = identityTags({ kind: EXEC_KIND, target: target.name, run: run.runId });
  try {
    const file = await storeStream(
      { env: deps.repository.env, host: deps.host, filename, tags, signal: run.signal },
      async (sink, signal) => {
        const result = await deps.engine.exec(target.container.id, ["sh", "-c", target.command], sink, {
          user: target.user,
          signal,
        });
        if (result.exitCode !== 0) {
          throw fail(`the dump command exited ${result.exitCode}: ${lastLines(result.stderr)}`);
        }
      },
    );
    deps.metrics.success(
      { kind: EXEC_KIND, target: target.name, database: "" },
      new Date(),
      file.size,
      file.durationSeconds,
    );
    run.log.info(
      { target: target.name, file: file.filename, snapshot: file.snapshotId.slice(0, 8), bytes: file.size },
      `stored ${file.filename}`,
    );
    return file;
  } catch (error) {
    throw error instanceof BackupError && error.target ? error : fail((error as Error).message, error);
  }
}
