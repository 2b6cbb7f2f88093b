// Generic exec targets: a label names a dump command that runs in the container (MariaDB, Redis,
// etcd, …). Credentials come from the container's own env inside the command, never from the agent.
import type { ContainerInfo, Engine } from "../../docker/engine.js";
import { KIND } from "../../restic/tags.js";
import { EXEC_LABELS as L } from "./labels.js";

export interface ExecTarget {
  kind: typeof KIND.exec;
  /** The Compose service (or container name): the target's name in tags, files and metrics. */
  name: string;
  container: ContainerInfo;
  command: string;
  user: string | undefined;
  /** The stored file's name: exec/<service>/<filename>. */
  filename: string;
  /** The verify command (backup-agent.exec.verify), when the target has one. */
  verifyCommand: string | undefined;
  problems: string[];
}

export function describeExec(container: ContainerInfo): ExecTarget {
  const labels = container.labels;
  const problems: string[] = [];
  const command = (labels[L.command] ?? "").trim();
  if (command === "") problems.push(`label ${L.command} of container ${container.name}: expected a dump command; got "${labels[L.command]}"`);
  const user = labels[L.user];
  if (user !== undefined && user.trim() === "") problems.push(`label ${L.user} of container ${container.name}: expected a user name (leave it out for the container's own user); got "${user}"`);
  const filename = labels[L.filename] ?? "dump";
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(filename)) {
    problems.push(
      `label ${L.filename} of container ${container.name}: expected a file name of letters, digits, ".", "_", "-"; got "${filename}"`,
    );
  }
  const verify = labels[L.verify];
  if (verify !== undefined && verify.trim() === "") {
    problems.push(`label ${L.verify} of container ${container.name}: expected a command that checks the dump on its stdin (leave it out for none); got "${verify}"`);
  }
  return {
    kind: KIND.exec,
    name: container.service,
    container,
    command,
    user,
    filename,
    verifyCommand: verify?.trim() || undefined,
    problems,
  };
}

/** Every container in scope with a backup-agent.exec.command label, running or not. */
export async function discoverExec(engine: Engine, project: string | undefined): Promise<ExecTarget[]> {
  const containers = await engine.listContainers(L.command, project);
  return containers.map(describeExec).sort((a, b) => a.name.localeCompare(b.name));
}
