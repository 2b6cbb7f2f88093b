// The volume kind: Docker volumes mounted into the agent under the volume root, each backed up as
// its own snapshot while labelled containers are stopped; verified by restoring into a temp dir.
import type { ContainerControl, Engine, VolumeLister } from "../../docker/engine.js";
import type { Sandbox } from "../../docker/sandbox.js";
import { KIND } from "../../restic/tags.js";
import type { Kind } from "../kind.js";
import { backupVolume, describeVolume } from "./backup.js";
import type { Helper } from "./destination.js";
import { discoverVolumes, type VolumeTarget } from "./discover.js";
import { guardVolumes } from "./guard.js";
import { VOLUME_LABELS } from "./labels.js";
import { applyVolumeRestore, planVolumeRestore } from "./restore.js";
import { verifyVolume } from "./verify.js";

export interface VolumeKindDeps {
  engine: Engine & VolumeLister & ContainerControl;
  sandbox: Sandbox;
  /** The helper image of restores through the engine, when there is one. */
  helper: () => Promise<Helper | undefined>;
  /** Where volumes are mounted into the agent, and the names backed up besides the project's own. */
  volumes: { root: string; names: readonly string[] };
  hookTimeoutMs: number;
}

export function volumeKind(deps: VolumeKindDeps): Kind<VolumeTarget> {
  const restoreDeps = { engine: deps.engine, sandbox: deps.sandbox, helper: deps.helper, root: deps.volumes.root };
  return {
    name: KIND.volume,
    title: "volume",
    howToEnable: `no volume of the project is mounted under ${deps.volumes.root}`,
    whyMissing: `no volume of that name is mounted under ${deps.volumes.root}`,
    labels: Object.values(VOLUME_LABELS),
    describe: describeVolume,
    discover: async (scope) =>
      (await discoverVolumes(deps.engine, scope.project, deps.volumes.root, deps.volumes.names)).targets,
    guard: (targets, concurrency, run, each) => guardVolumes(deps, targets, concurrency, run, each),
    backup: (target, run) => backupVolume(target, run),
    verify: (name, _target, snapshots, run) => verifyVolume(name, snapshots, run),
    plan: async (target) => ({
      kind: KIND.volume,
      name: target.name,
      container: "",
      state: "",
      details: {},
      files: [target.path],
      problems: [...target.problems],
      volume: { path: target.path, source: target.source },
    }),
    restore: {
      plan: (request, target, snapshots, run) => planVolumeRestore(restoreDeps, request, target, snapshots, run),
      apply: (plans, run) => applyVolumeRestore(restoreDeps, plans, run),
    },
  };
}
