// Point-in-time recovery into the live target: recovered first in a throwaway container (proven
// before anything live is touched) and shut down cleanly; then the live container is stopped, its
// data directory's contents are set aside inside the same volume and replaced by the recovered ones
// (a helper container of the source's image, as root, with that volume mounted), and the container
// is started again. A failed copy puts the old contents back. Once the recovered server answers,
// the old contents are removed and a base backup starts the new recoverable window (the server is
// on a new timeline, and its replication slot was not part of the recovery).
import { PassThrough } from "node:stream";
import { BackupError } from "../../../core/errors.js";
import { lastLines } from "../../../core/text.js";
import type { ContainerControl, Engine } from "../../../docker/engine.js";
import { asThrowawayMount, mountHolding } from "../../../docker/mounts.js";
import { IDLE_ENTRYPOINT, ROLE_LABEL, type Sandbox, type ThrowawayMount, throwawayName } from "../../../docker/sandbox.js";
import type { RestoreRun } from "../../kind.js";
import type { PostgresTarget } from "../discover.js";
import { checkedExec } from "../../container.js";
import { clientEnv, query } from "../sql.js";
import { baseBackup } from "./base.js";
import { recoverToTime } from "./recover.js";
import { walDir } from "./server.js";
import type { RecoveryPlan } from "./window.js";

const READY_TIMEOUT_MS = 600_000;

export interface SwapDeps {
  engine: Engine & ContainerControl;
  sandbox: Pick<Sandbox, "createThrowaway" | "execWithStdin" | "remove">;
  walMaxRetained: string;
}

/** The mount that holds the data directory: a volume or bind at it or at one of its parents. */
export function dataMount(target: PostgresTarget): ThrowawayMount {
  const held = mountHolding(target.container.mounts ?? [], target.dataDir);
  const mount = held && asThrowawayMount(held);
  if (!mount) {
    throw new BackupError(`restore: the data directory ${target.dataDir} of ${target.container.name} is not on a volume or bind mount: nothing would survive the container, so nothing is replaced`, { target: target.name });
  }
  return mount;
}

export async function swapIntoLive(deps: SwapDeps, target: PostgresTarget, plan: RecoveryPlan, at: Date, run: RestoreRun): Promise<void> {
  const mount = dataMount(target);
  const data = target.dataDir;
  const recovered = await recoverToTime({ ...deps, repository: run.repository }, target, plan, { at, keep: false, runId: run.runId, signal: run.signal, log: run.log });
  const exec = async (id: string, cmd: string[], doing: string, user = "0") =>
    (await checkedExec(deps.engine, id, cmd, { user, env: clientEnv(target), signal: run.signal }, { what: `restore of ${target.name}`, doing, target: target.name })).trim();
  let helper: string | undefined;
  try {
    run.say(`recovered ${target.name} to ${at.toISOString()} in a throwaway container${recovered.lastCommit ? ` (the last transaction replayed committed at ${recovered.lastCommit})` : ""}`);
    // A clean shutdown (a checkpoint), and none of the recovery's own settings or files in the copy.
    const owner = await exec(recovered.id, ["stat", "-c", "%u:%g", `${data}/PG_VERSION`], "reading the owner");
    await exec(recovered.id, ["pg_ctl", "-D", data, "-m", "fast", "-w", "stop"], "stopping the recovered server", owner);
    await exec(recovered.id, ["sh", "-c", `cd "${data}" && sed -i '/^# backup-agent: recovery to a point in time$/,$d' postgresql.auto.conf && rm -rf "${walDir(target)}" backup-agent-recovery.log`], "tidying the recovered data");

    helper = await deps.sandbox.createThrowaway(
      {
        image: target.container.image,
        name: throwawayName("restore", target.name),
        env: [],
        labels: { [ROLE_LABEL]: "restore", "backup-agent.restore.target": target.name },
        user: "0",
        entrypoint: IDLE_ENTRYPOINT,
        cmd: [],
        mounts: [mount],
      },
      run.signal,
    );
    const aside = `.backup-agent-before-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    await deps.engine.stop(target.container.id, run.signal);
    run.say(`stopped ${target.container.name}`);
    let replaced = false;
    try {
      await exec(helper, ["sh", "-c", `set -e; cd "${data}"; mkdir "${aside}"; for f in * .[!.]* ..?*; do [ -e "$f" ] || [ -L "$f" ] || continue; [ "$f" = "${aside}" ] || mv -- "$f" "${aside}/"; done`], "setting the old data aside");
      const pipe = new PassThrough();
      const [sent, received] = await Promise.all([
        deps.engine.exec(recovered.id, ["tar", "-c", "-C", data, "."], pipe, { user: "0", signal: run.signal }).finally(() => pipe.end()),
        deps.sandbox.execWithStdin(helper, ["tar", "-x", "-C", data], pipe, { user: "0", signal: run.signal }),
      ]);
      if (sent.exitCode !== 0 || received.exitCode !== 0) throw new BackupError(`restore of ${target.name}: copying the recovered data failed: ${lastLines(sent.stderr || received.stderr)}`);
      replaced = true;
    } catch (error) {
      // The old contents go back where they were: the live server starts as it was.
      await exec(helper, ["sh", "-c", `cd "${data}" && [ -d "${aside}" ] && find . -mindepth 1 -maxdepth 1 ! -name "${aside}" -exec rm -rf {} + && mv "${aside}"/* "${aside}"/.[!.]* . 2>/dev/null; rmdir "${aside}"`], "putting the old data back").catch(() => undefined);
      throw error;
    } finally {
      await deps.engine.start(target.container.id, run.signal);
      run.say(`started ${target.container.name}${replaced ? " on the recovered data" : " on its old data"}`);
    }
    await waitAnswers(deps.engine, target, run.signal);
    await exec(helper, ["rm", "-rf", `${data}/${aside}`], "removing the replaced data");
    run.say(`${target.name} answers on the data recovered to ${at.toISOString()}; the replaced data was removed`);
  } finally {
    await deps.sandbox.remove(recovered.id).catch(() => undefined);
    if (helper) await deps.sandbox.remove(helper).catch(() => undefined);
  }
  // The recovered server is on a new timeline without the agent's slot: a base backup starts the window again.
  const current = (await deps.engine.inspect(target.container.id)) ?? target.container;
  const base = await baseBackup(deps.engine, { ...target, container: current }, run, { maxRetained: deps.walMaxRetained });
  if (base.failed.length) throw base.failed[0]?.error;
  run.say(`stored a new base backup of ${target.name}: point-in-time recovery goes on from here`);
}

async function waitAnswers(engine: Engine, target: PostgresTarget, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (let wait = 200; ; wait = Math.min(wait * 2, 2000)) {
    signal.throwIfAborted();
    let last = "";
    try {
      if ((await query(engine, target, "SELECT NOT pg_is_in_recovery()", signal))[0] === "t") return;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new BackupError(`restore of ${target.name}: ${target.container.name} did not answer within ${READY_TIMEOUT_MS / 60_000} minutes after the swap: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
