// The Meilisearch kind: labelled containers asked for a snapshot over the API, the file read through
// Docker's archive API into restic; verified by reading it back against its recorded checksum.
import { KIND } from "../../restic/tags.js";
import { containerProblems } from "../container.js";
import { containerHooksGuard } from "../hooks.js";
import type { Kind } from "../kind.js";
import { verifyNewestRecorded } from "../verify-recorded.js";
import { backupMeilisearch, describeMeiliTarget, type MeiliDeps } from "./backup.js";
import { discoverMeilisearch, type MeiliTarget } from "./discover.js";
import { MEILISEARCH_LABELS } from "./labels.js";

export function meilisearchKind(deps: MeiliDeps & { hookTimeoutMs: number }): Kind<MeiliTarget> {
  return {
    name: KIND.meilisearch,
    title: "Meilisearch",
    howToEnable: "no container is labelled backup-agent.meilisearch=true: no search index was snapshotted",
    whyMissing: "no labelled container exists",
    labels: Object.values(MEILISEARCH_LABELS),
    enabledBy: MEILISEARCH_LABELS.enable,
    describe: describeMeiliTarget,
    discover: (scope) => discoverMeilisearch(deps.engine, scope.project, deps.meilisearch.apiKey),
    guard: containerHooksGuard(deps, describeMeiliTarget),
    backup: (target, run) => backupMeilisearch(target, deps, run),
    verify: (name, _target, snapshots, run) => verifyNewestRecorded({ kind: KIND.meilisearch, describe: describeMeiliTarget }, name, snapshots, run),
    plan: async (target) => ({
      kind: KIND.meilisearch,
      name: target.name,
      container: target.container.name,
      state: target.container.state,
      details: { url: target.url, "snapshot dir": target.snapshotDir },
      files: [`meilisearch/${target.name}/data.ms.snapshot`, `meilisearch/${target.name}/manifest.json`],
      problems: containerProblems(target),
    }),
  };
}
