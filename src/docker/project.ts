// Which Compose project the agent looks at: the configured one, every project, or its own.
import { hostname } from "node:os";
import type { Engine } from "./engine.js";

export interface ProjectScope {
  /** undefined: every project. */
  project: string | undefined;
  /** How it was chosen, for logs and `plan`. */
  reason: string;
}

/** configured: a project name, "*" for all, or undefined to use the agent's own Compose project. */
export async function resolveProject(engine: Engine, configured: string | undefined): Promise<ProjectScope> {
  if (configured === "*") return { project: undefined, reason: "BACKUP_COMPOSE_PROJECT=* (every project)" };
  if (configured) return { project: configured, reason: "BACKUP_COMPOSE_PROJECT" };
  // In a container the hostname is the container id unless Compose sets `hostname:`.
  const self = await engine.inspect(hostname()).catch(() => undefined);
  if (self?.project)
    return { project: self.project, reason: `the agent's own Compose project (container ${self.name})` };
  return {
    project: undefined,
    reason: "not running in Compose and BACKUP_COMPOSE_PROJECT unset: every project",
  };
}
