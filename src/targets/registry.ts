// The kinds of target, in the order a backup runs them (volumes last: their containers are stopped
// only for as long as that step takes). Adding a kind is a folder and one line here.
import type { Secret } from "../config/secret.js";
import type { ContainerControl, Engine, VolumeLister } from "../docker/engine.js";
import type { Sandbox } from "../docker/sandbox.js";
import { execKind } from "./exec/kind.js";
import type { Kind } from "./kind.js";
import type { LabelRules } from "./label-lint.js";
import { AGENT_LABELS, HOOK_LABELS } from "./labels.js";
import type { MeiliApi } from "./meilisearch/client.js";
import type { MeiliTarget } from "./meilisearch/discover.js";
import { meilisearchKind } from "./meilisearch/kind.js";
import { postgresKind } from "./postgres/kind.js";
import type { Helper } from "./volumes/destination.js";
import { volumeKind } from "./volumes/kind.js";
import { VOLUME_LABELS } from "./volumes/labels.js";

export interface KindsDeps {
  engine: Engine & VolumeLister & ContainerControl;
  sandbox: Sandbox;
  hookTimeoutMs: number;
  /** BACKUP_WAL_MAX_RETAINED (point-in-time recovery). */
  walMaxRetained: string;
  meilisearch: { apiKey: Secret | undefined; pollIntervalMs: number; timeoutMs: number };
  volumes: { root: string; names: readonly string[] };
  /** The helper image of restores through the engine (volumes), when there is one. */
  helper: () => Promise<Helper | undefined>;
  /** Tests reach Meilisearch through their own client. */
  meiliClient?: (target: MeiliTarget) => MeiliApi;
}

export function buildKinds(deps: KindsDeps): Kind[] {
  return [
    postgresKind(deps),
    meilisearchKind({ ...deps, client: deps.meiliClient }),
    execKind(deps),
    volumeKind(deps),
  ] as Kind[];
}

/** What labels may say on containers and on volumes, from every kind's labels and the shared ones. */
export function labelRules(kinds: readonly Kind[]): { container: LabelRules; volume: LabelRules } {
  const onVolumes = [VOLUME_LABELS.exclude] as readonly string[];
  const requires = new Map<string, readonly string[]>();
  for (const kind of kinds) {
    for (const label of kind.labels) if (kind.enabledBy && label !== kind.enabledBy) requires.set(label, [kind.enabledBy]);
  }
  requires.set(HOOK_LABELS.user, [HOOK_LABELS.pre, HOOK_LABELS.post]);
  requires.set(HOOK_LABELS.timeout, [HOOK_LABELS.pre, HOOK_LABELS.post]);
  const containerLabels = [...kinds.flatMap((k) => k.labels), ...Object.values(HOOK_LABELS), ...AGENT_LABELS].filter((l) => !onVolumes.includes(l));
  return {
    container: {
      known: containerLabels,
      switches: [VOLUME_LABELS.stopDuringBackup],
      requires,
      elsewhere: new Map(onVolumes.map((l) => [l, "a volume's label (put it on the volume)"])),
    },
    volume: {
      known: onVolumes,
      switches: onVolumes,
      requires: new Map(),
      elsewhere: new Map(containerLabels.map((l) => [l, "a container's label (put it on the container)"])),
    },
  };
}
