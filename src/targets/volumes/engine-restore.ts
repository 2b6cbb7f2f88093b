// Restore through the engine. The agent runs as uid 10001: it cannot write into a volume Docker
// created (root, 0755), nor give files back their owners. So a throwaway helper of the agent's own
// image runs as root with the volume (or directory) mounted, and the agent streams the snapshot's
// tree into it as a tar (`restic dump --archive tar`), which GNU tar extracts keeping owners, groups,
// modes, times and symlinks. No repository, password or network ever reaches the helper.
import { withCleanup } from "../../core/cleanup.js";
import { BackupError } from "../../core/errors.js";
import { lastLines } from "../../core/text.js";
import type { Engine } from "../../docker/engine.js";
import { ROLE_LABEL, type Sandbox, throwawayName, type ThrowawayMount, VERIFY_RUN_LABEL } from "../../docker/sandbox.js";
import type { RestoreSummary, Snapshot } from "../../restic/repository.js";
import type { KindRun } from "../kind.js";

export interface EngineRestoreDeps {
  engine: Pick<Engine, "execText">;
  sandbox: Pick<Sandbox, "createThrowaway" | "execWithStdin" | "remove">;
}

export interface TreeRestore {
  /** The target, for names and messages. */
  name: string;
  snapshot: Snapshot;
  /** The helper's image (the agent's own, or BACKUP_HELPER_IMAGE). */
  image: string;
  /** What the helper mounts, and the directory in it the tree goes into. */
  mount: ThrowawayMount;
  dir: string;
  /** Remove what the snapshot does not hold first: the directory ends up exactly equal. */
  exact: boolean;
}

/** Restores the snapshot's tree into the mounted directory; resolves with what was restored. */
export async function restoreThroughEngine(deps: EngineRestoreDeps, item: TreeRestore, run: KindRun): Promise<RestoreSummary> {
  const what = `volume "${item.name}"`;
  const path = item.snapshot.paths[0] as string;
  const box = await deps.sandbox.createThrowaway(
    {
      image: item.image,
      name: throwawayName("restore", item.name),
      env: [],
      labels: { [VERIFY_RUN_LABEL]: run.runId, [ROLE_LABEL]: "restore", "backup-agent.restore.target": item.name },
      user: "0",
      entrypoint: ["sleep"],
      cmd: ["infinity"],
      mounts: [item.mount],
    },
    run.signal,
  );
  const sh = async (cmd: string[], doing: string) => {
    const result = await deps.engine.execText(box, cmd, { signal: run.signal });
    if (result.exitCode !== 0) throw new BackupError(`${what}: ${doing} in the restore helper exited ${result.exitCode}: ${lastLines(result.stderr)}`, { target: item.name });
  };
  return withCleanup(
    what,
    async () => {
      const count = await run.repository.countTree(item.snapshot.id, path, run.signal);
      if (item.exact) await sh(["find", item.dir, "-mindepth", "1", "-delete"], "removing what the snapshot does not hold");
      const tree = run.repository.dumpTree(item.snapshot.id, path, run.signal);
      const strip = path.split("/").filter(Boolean).length;
      const extract = ["tar", "-x", "-p", "--same-owner", "--numeric-owner", "--xattrs", "--xattrs-include=*", `--strip-components=${strip}`, "-C", item.dir];
      const result = await deps.sandbox.execWithStdin(box, extract, tree.stdout, { signal: run.signal });
      const sent = await tree.done;
      if (result.exitCode !== 0) throw new BackupError(`${what}: tar in the restore helper exited ${result.exitCode}: ${lastLines(result.stderr)}`, { target: item.name });
      if (sent.inexactTimes) {
        run.log.warn(
          { target: item.name, entries: sent.inexactTimes, from: sent.firstInexact },
          `${what}: ${sent.inexactTimes} entries, from ${sent.firstInexact}, got their times to the second only (the snapshot's listing did not pair with its archive)`,
        );
      }
      // The tree's own directory is not in the archive: its owner, mode and time come from the listing.
      const root = count.root;
      if (root) {
        await sh(["chown", `${root.uid}:${root.gid}`, item.dir], "giving the directory its owner");
        await sh(["chmod", root.mode.toString(8).padStart(4, "0"), item.dir], "giving the directory its mode");
        await sh(["touch", "-m", "-d", root.mtime, item.dir], "giving the directory its time");
      }
      return { filesRestored: count.files, bytesRestored: count.bytes, filesDeleted: 0 };
    },
    () => deps.sandbox.remove(box),
  );
}
