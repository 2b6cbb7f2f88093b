// Recovery to a point in time, in a container of the source's own image with no network: the base
// backup's tar and the WAL snapshots that carry it forward are streamed in (no temp file), the server
// replays the archived WAL up to the time (recovery_target_time) and promotes itself. What it reached
// is checked, not assumed: the last transaction it replayed must have committed by then.
import { BackupError } from "../../../core/errors.js";
import { lastLines } from "../../../core/text.js";
import type { Engine } from "../../../docker/engine.js";
import { IDLE_ENTRYPOINT, ROLE_LABEL, type Sandbox, throwawayName } from "../../../docker/sandbox.js";
import type { Repository } from "../../../restic/repository.js";
import type { PostgresTarget } from "../discover.js";
import { checkedExec } from "../../container.js";
import { clientEnv, query } from "../sql.js";
import { walDir } from "./server.js";
import type { RecoveryPlan } from "./window.js";

const PROMOTE_TIMEOUT_MS = 3_600_000;

export interface RecoverDeps {
  engine: Pick<Engine, "execText" | "inspect">;
  sandbox: Pick<Sandbox, "createThrowaway" | "execWithStdin" | "remove">;
  repository: Repository;
}

export interface Recovered {
  id: string;
  name: string;
  /** When the last transaction replayed committed (undefined when none was replayed after the base backup). */
  lastCommit?: string;
}

export interface RecoverOptions {
  at: Date;
  /** The container's name; it is kept (not a throwaway) when `keep`. */
  name?: string;
  keep: boolean;
  /** The container's labels (a verify's throwaway carries its run's); default: a restore's. */
  labels?: Record<string, string>;
  runId: string;
  signal: AbortSignal;
  log: { info: (o: object, m: string) => void };
}

/** Recovers into a new container; the caller removes it (unless kept) once this resolves. */
export async function recoverToTime(deps: RecoverDeps, target: PostgresTarget, plan: RecoveryPlan, o: RecoverOptions): Promise<Recovered> {
  const source = target.container;
  const name = o.name ?? throwawayName("pitr", target.name);
  const id = await deps.sandbox.createThrowaway(
    {
      image: source.image,
      name,
      env: Object.entries(source.env).map(([k, v]) => `${k}=${v}`),
      labels: o.labels ?? { [ROLE_LABEL]: "restore", "backup-agent.restore.target": target.name, "backup-agent.recovered-to": o.at.toISOString() },
      entrypoint: IDLE_ENTRYPOINT,
      cmd: [],
      keep: o.keep,
    },
    o.signal,
  );
  try {
    return { id, name, lastCommit: await recoverIn(deps, id, name, target, plan, o) };
  } catch (error) {
    // A recovery that failed is never left behind, kept or not.
    await deps.sandbox.remove(id).catch(() => undefined);
    throw error;
  }
}

async function recoverIn(deps: RecoverDeps, id: string, name: string, target: PostgresTarget, plan: RecoveryPlan, o: RecoverOptions): Promise<string | undefined> {
  const data = target.dataDir;
  const wal = walDir(target);
  const run = async (cmd: string[], doing: string, user = "0") =>
    (await checkedExec(deps.engine, id, cmd, { user, env: clientEnv(target), signal: o.signal }, { what: name, doing })).trim();
  const untar = async (snapshotId: string, path: string | undefined, into: string, what: string) => {
    if (!path) throw new BackupError(`snapshot ${snapshotId.slice(0, 8)} (${what}) names no file`);
    const dump = deps.repository.dump(snapshotId, path, o.signal);
    const [result] = await Promise.all([deps.sandbox.execWithStdin(id, ["tar", "-x", "-C", into], dump.stdout, { user: "0", signal: o.signal }), dump.done]);
    if (result.exitCode !== 0) throw new BackupError(`${name}: unpacking ${what}: tar exited ${result.exitCode}: ${lastLines(result.stderr)}`);
  };
  await run(["mkdir", "-p", data], `cannot make ${data}`);
  await untar(plan.base.id, plan.base.paths[0], data, `base backup ${plan.base.id.slice(0, 8)}`);
  o.log.info({ container: name, snapshot: plan.base.id.slice(0, 8) }, `base backup of ${plan.base.time.toISOString()} unpacked into ${name}`);
  // The source's own unarchived segments came with the base backup: only the archive's are replayed.
  await run(["sh", "-c", `rm -rf "${wal}" && mkdir -p "${wal}"`], `cannot empty ${wal}`);
  for (const w of plan.wal) await untar(w.snapshot.id, w.snapshot.paths[0], wal, `WAL snapshot ${w.snapshot.id.slice(0, 8)}`);
  o.log.info({ container: name, snapshots: plan.wal.length }, `${plan.wal.length} WAL snapshot(s) unpacked into ${name}`);
  const at = o.at.toISOString();
  const settings = [
    "# backup-agent: recovery to a point in time",
    `restore_command = 'cp backup-agent-wal/%f "%p"'`,
    // A numeric offset: the setting refuses time zone abbreviations, "Z" among them.
    `recovery_target_time = '${at.replace("T", " ").replace("Z", "+00")}'`,
    "recovery_target_action = 'promote'",
    "archive_mode = 'off'",
  ];
  const prepare = `set -e; cd "${data}"; owner=$(stat -c %u:%g PG_VERSION); cd "${wal}"; for p in *.partial; do [ -e "$p" ] || continue; f=\${p%.partial}; [ -e "$f" ] || mv "$p" "$f"; done; rm -f ./*.partial; cd "${data}"; printf '%s\\n' ${settings.map((l) => `"${l.replace(/"/g, '\\"')}"`).join(" ")} >> postgresql.auto.conf; rm -f postmaster.pid; touch recovery.signal; chown -R "$owner" . ; chmod 700 .; mkdir -p /var/run/postgresql; chown "$owner" /var/run/postgresql; echo "$owner"`;
  const owner = await run(["sh", "-c", prepare], "preparing the recovery");
  const log = `${data}/backup-agent-recovery.log`;
  await run(["pg_ctl", "-D", data, "-l", log, "-w", "-t", "3600", "start"], "starting PostgreSQL", owner).catch(async (error: unknown) => {
    const tail = await deps.engine.execText(id, ["tail", "-n", "5", log], { user: owner, signal: o.signal });
    throw new BackupError(`${(error as Error).message}; its log ends: ${lastLines(tail.stdout, 5)}`);
  });
  await waitPromoted(deps, { id, name }, target, owner, log, o);
  const [answer = ""] = await query(deps.engine, target, `SELECT to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`, o.signal, target.maintenanceDb, { id, name });
  const lastCommit = answer.trim();
  if (lastCommit && new Date(lastCommit) > o.at) throw new BackupError(`${name}: recovery replayed a transaction that committed at ${lastCommit}, after ${at}`);
  o.log.info({ container: name, at, lastCommit }, `${target.name} recovered to ${at} in ${name}${lastCommit ? ` (last transaction replayed committed at ${lastCommit})` : ""}`);
  return lastCommit || undefined;
}

/** Until the server has left recovery; fails with its log's last lines when it stopped instead. */
async function waitPromoted(deps: RecoverDeps, box: { id: string; name: string }, target: PostgresTarget, owner: string, log: string, o: RecoverOptions): Promise<void> {
  const { id, name } = box;
  const deadline = Date.now() + PROMOTE_TIMEOUT_MS;
  for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
    o.signal.throwIfAborted();
    const [state] = await query(deps.engine, target, "SELECT pg_is_in_recovery()", o.signal, target.maintenanceDb, box).catch(() => [""]);
    if (state === "f") return;
    const alive = await deps.engine.execText(id, ["pg_ctl", "-D", target.dataDir, "status"], { user: owner, signal: o.signal });
    if (alive.exitCode !== 0 || Date.now() > deadline) {
      const tail = await deps.engine.execText(id, ["tail", "-n", "5", log], { user: owner, signal: o.signal });
      const why = alive.exitCode !== 0 ? "PostgreSQL stopped during recovery" : `still in recovery after ${PROMOTE_TIMEOUT_MS / 60_000} minutes`;
      throw new BackupError(`${name}: ${why}: ${lastLines(tail.stdout, 5)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
