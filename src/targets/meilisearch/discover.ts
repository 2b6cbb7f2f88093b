// Meilisearch targets from labelled containers: URL, snapshot directory and API key from labels, the
// agent's env and the container's own env. A label that cannot be used is a problem, never ignored.
import { posix } from "node:path";
import { Secret } from "../../config/secret.js";
import type { ContainerInfo, Engine } from "../../docker/engine.js";
import { KIND } from "../../restic/tags.js";
import { MEILISEARCH_LABELS as L } from "./labels.js";

export const DEFAULT_SNAPSHOT_DIR = "/meili_data/snapshots/";
export const DEFAULT_PORT = 7700;

export interface MeiliTarget {
  kind: typeof KIND.meilisearch;
  /** The Compose service (or container name): the target's name in tags, files and metrics. */
  name: string;
  container: ContainerInfo;
  /** Base URL of the HTTP API, without a trailing slash. */
  url: string;
  /** Absolute directory inside the container where Meilisearch writes snapshots. */
  snapshotDir: string;
  apiKey: Secret | undefined;
  /** Where the key came from, for error messages (never the key itself). */
  keySource: string;
  /** Label problems: the target fails with these instead of guessing. */
  problems: string[];
}

export function describeMeilisearch(container: ContainerInfo, agentKey: Secret | undefined): MeiliTarget {
  const labels = container.labels;
  const problems: string[] = [];
  const enable = labels[L.enable];
  if (enable !== "true") problems.push(`label ${L.enable} of container ${container.name}: expected true or false; got "${enable}"`);
  let url = `http://${container.name}:${DEFAULT_PORT}`;
  const urlLabel = labels[L.url];
  if (urlLabel !== undefined) {
    try {
      const parsed = new URL(urlLabel);
      if (!["http:", "https:"].includes(parsed.protocol)) throw new Error(parsed.protocol);
      url = urlLabel.replace(/\/+$/, "");
    } catch {
      problems.push(`label ${L.url} of container ${container.name}: expected an http:// or https:// URL; got "${urlLabel}"`);
    }
  }
  const dirLabel = labels[L.snapshotDir];
  if (dirLabel !== undefined && !posix.isAbsolute(dirLabel)) {
    problems.push(`label ${L.snapshotDir} of container ${container.name}: expected an absolute path in the container; got "${dirLabel}"`);
  }
  const snapshotDir = posix.normalize(`${dirLabel ?? DEFAULT_SNAPSHOT_DIR}/`);
  const ownKey = container.env.MEILI_MASTER_KEY;
  const apiKey = agentKey ?? (ownKey ? new Secret(ownKey) : undefined);
  const keySource = agentKey
    ? "BACKUP_MEILI_API_KEY"
    : ownKey
      ? "the container's MEILI_MASTER_KEY"
      : "none (neither BACKUP_MEILI_API_KEY nor the container's MEILI_MASTER_KEY is set)";
  return {
    kind: KIND.meilisearch,
    name: container.service,
    container,
    url,
    snapshotDir,
    apiKey,
    keySource,
    problems,
  };
}

/** Every container labelled backup-agent.meilisearch in scope, running or not, but those labelled `false`. */
export async function discoverMeilisearch(
  engine: Engine,
  project: string | undefined,
  agentKey: Secret | undefined,
): Promise<MeiliTarget[]> {
  const containers = (await engine.listContainers(L.enable, project)).filter((c) => c.labels[L.enable] !== "false");
  return containers.map((c) => describeMeilisearch(c, agentKey)).sort((a, b) => a.name.localeCompare(b.name));
}
