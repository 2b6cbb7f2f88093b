// Verify of an exec target: its newest dump is read back in full against the size and sha256 its
// manifest recorded, and, when the target names a verify command (backup-agent.exec.verify), fed on
// the way to that command in a throwaway container of the source's own image: its command, its
// environment, no network. The command decides whether the dump is good (exit 0).
import type { PassThrough } from "node:stream";
import { withCleanup } from "../../core/cleanup.js";
import { lastLines } from "../../core/text.js";
import type { Engine } from "../../docker/engine.js";
import { ROLE_LABEL, type Sandbox, throwawayName, VERIFY_RUN_LABEL } from "../../docker/sandbox.js";
import type { Snapshot } from "../../restic/repository.js";
import { KIND } from "../../restic/tags.js";
import type { KindRun, VerifyPart } from "../kind.js";
import { verifyNewestRecorded } from "../verify-recorded.js";
import { describeExecTarget } from "./backup.js";
import type { ExecTarget } from "./discover.js";

export interface ExecVerifyDeps {
  engine: Pick<Engine, "inspect">;
  sandbox: Pick<Sandbox, "createThrowaway" | "execWithStdin" | "remove">;
}

export function verifyExec(deps: ExecVerifyDeps, name: string, target: ExecTarget | undefined, snapshots: readonly Snapshot[], run: KindRun): Promise<VerifyPart[]> {
  const kind = { kind: KIND.exec, describe: describeExecTarget, acceptUnrecorded: true };
  const command = target?.verifyCommand;
  if (!target || !command) return verifyNewestRecorded(kind, name, snapshots, run);
  return verifyNewestRecorded(kind, name, snapshots, run, (input) => runVerifyCommand(deps, target, command, input, run));
}

/** The verify command in a throwaway copy of the source: the problem, or undefined when it exited 0. */
async function runVerifyCommand(deps: ExecVerifyDeps, target: ExecTarget, command: string, input: PassThrough, run: KindRun): Promise<string | undefined> {
  const source = target.container;
  const box = await deps.sandbox.createThrowaway(
    {
      image: source.image,
      name: throwawayName("verify", target.name),
      env: Object.entries(source.env).map(([k, v]) => `${k}=${v}`),
      labels: { [VERIFY_RUN_LABEL]: run.runId, [ROLE_LABEL]: "verify", "backup-agent.verify.target": target.name },
      ...(source.entrypoint ? { entrypoint: source.entrypoint } : {}),
      ...(source.cmd ? { cmd: source.cmd } : {}),
    },
    run.signal,
  );
  run.log.info({ target: target.name, image: source.image, container: box }, `throwaway container for the verify command of ${target.name} started from ${source.image}`);
  return withCleanup(
    describeExecTarget(target.name),
    async () => {
      const result = await deps.sandbox.execWithStdin(box, ["sh", "-c", command], input, { user: target.user, signal: run.signal });
      if (result.exitCode === 0) return undefined;
      return `the verify command exited ${result.exitCode}: ${lastLines(result.stderr)}`;
    },
    () => deps.sandbox.remove(box),
  );
}
