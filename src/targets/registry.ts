// The kinds of target, in the order a backup runs them (volumes last: their containers are stopped
// only for as long as that step takes). Adding a kind is a folder and one line here.
import type { Secret } from "../config/secret.js";
import type { ContainerControl, Engine, VolumeLister } from "../docker/engine.js";
import type { Sandbox } from "../docker/sandbox.js";
import { execKind } from "./exec/kind.js";
import type { Kind } from "./kind.js";
import type { MeiliApi } from "./meilisearch/client.js";
import type { MeiliTarget } from "./meilisearch/discover.js";
import { meilisearchKind } from "./meilisearch/kind.js";
import { postgresKind } from "./postgres/kind.js";
import { volumeKind } from "./volumes/kind.js";

export interface KindsDeps {
  engine: Engine & VolumeLister & ContainerControl;
  sandbox: Sandbox;
  hookTimeoutMs: number;
  meilisearch: { apiKey: Secret | undefined; pollIntervalMs: number; timeoutMs: number };
  volumes: { root: string; names: readonly string[] };
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
