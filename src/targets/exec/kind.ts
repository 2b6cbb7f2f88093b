// The exec kind: any dump command labelled on a container (MariaDB, Redis, etcd, …), its stdout
// streamed into restic; verified by reading the dump back against its recorded checksum.
import type { Engine } from "../../docker/engine.js";
import { KIND } from "../../restic/tags.js";
import { containerProblems } from "../container.js";
import { containerHooksGuard } from "../hooks.js";
import type { Kind } from "../kind.js";
import type { Sandbox } from "../../docker/sandbox.js";
import { backupExec, describeExecTarget } from "./backup.js";
import { discoverExec, type ExecTarget } from "./discover.js";
import { EXEC_LABELS } from "./labels.js";
import { verifyExec } from "./verify.js";

export function execKind(deps: { engine: Engine; sandbox: Sandbox; hookTimeoutMs: number }): Kind<ExecTarget> {
  return {
    name: KIND.exec,
    title: "exec",
    howToEnable: "no container has a backup-agent.exec.command label",
    whyMissing: "no labelled container exists",
    labels: Object.values(EXEC_LABELS),
    enabledBy: EXEC_LABELS.command,
    describe: describeExecTarget,
    discover: (scope) => discoverExec(deps.engine, scope.project),
    guard: containerHooksGuard(deps, describeExecTarget),
    backup: (target, run) => backupExec(target, deps.engine, run),
    verify: (name, target, snapshots, run) => verifyExec(deps, name, target, snapshots, run),
    plan: async (target) => ({
      kind: KIND.exec,
      name: target.name,
      container: target.container.name,
      state: target.container.state,
      details: { command: target.command, user: target.user ?? "(the container's)", ...(target.verifyCommand ? { "verify command": target.verifyCommand } : {}) },
      files: [`exec/${target.name}/${target.filename}`, `exec/${target.name}/manifest.json`],
      problems: containerProblems(target),
    }),
  };
}
