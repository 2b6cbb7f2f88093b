// `backup-agent restore all --at TIME [--yes]`: every target back to the newest backup at or before
// TIME: PostgreSQL databases into their running containers, then volumes into the live volumes.
// The whole plan is printed and confirmed once; nothing is touched before every backup is found.
import { BackupError } from "../core/errors.js";
import { resolveProject } from "../docker/project.js";
import { listSnapshots } from "../restic/snapshots.js";
import { discoverPostgres, type PostgresTarget } from "../targets/postgres/discover.js";
import { type ManifestFile, newestAtOrBefore } from "../targets/postgres/manifest.js";
import { readManifest } from "../targets/postgres/verify.js";
import { discoverVolumes, VOLUME_KIND } from "../targets/volumes/discover.js";
import { type LiveRestoreItem, writableVolumeDir } from "../targets/volumes/live-restore.js";
import type { App } from "./app.js";
import { confirmRestore } from "./confirm.js";
import { describePostgresRestore, restorePostgresFiles } from "./restore.js";
import type { AllRestoreArgs } from "./restore-args.js";
import { containersToStop, restoreIntoVolumes } from "./restore-volume.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

export async function restoreAllCommand(app: App, args: AllRestoreArgs, signal: AbortSignal): Promise<number> {
  const at = args.at.toISOString();
  const scope = await resolveProject(app.engine, app.config.targets.project);
  const snapshots = await listSnapshots(app.repository.env, signal);
  const databases: { target: PostgresTarget; files: ManifestFile[]; label: string }[] = [];
  const missing: string[] = [];
  const stopped: string[] = [];
  for (const target of await discoverPostgres(app.engine, scope.project)) {
    const found = await readManifest(app.repository.env, snapshots, target.name, signal, args.at);
    if (!found) {
      missing.push(`postgres target "${target.name}"`);
      continue;
    }
    if (!target.container.running) stopped.push(`${target.container.name} (postgres target "${target.name}")`);
    databases.push({
      target,
      files: found.manifest.files.filter((f) => f.kind === "postgres"),
      label: `run ${found.manifest.run} (${found.snapshot.time.toISOString()})`,
    });
  }
  const { root, names } = app.config.volumes;
  const volumes: LiveRestoreItem[] = [];
  for (const target of (await discoverVolumes(app.engine, scope.project, root, names)).targets) {
    const snapshot = newestAtOrBefore(snapshots, { kind: VOLUME_KIND, target: target.name }, args.at);
    if (!snapshot?.paths[0]) missing.push(`volume "${target.name}"`);
    else volumes.push({ volume: target.name, path: target.path, snapshot });
  }
  // A read-only or missing volume mount must stop the command before any database is touched.
  for (const v of volumes) await writableVolumeDir(v.volume, v.path);
  if (stopped.length)
    throw new BackupError(
      `restore all: PostgreSQL restores into running containers, and these are not running: ${stopped.join(", ")}; nothing was restored`,
    );
  if (databases.length === 0 && volumes.length === 0)
    throw new BackupError(`restore all: no backup at or before ${at} of any target in scope`);

  out(`Restore every target to its newest backup at or before ${at}:`);
  for (const d of databases) describePostgresRestore(d.target, d.label, d.files);
  const toStop = await containersToStop(
    app,
    scope.project,
    volumes.map((v) => v.volume),
  );
  for (const v of volumes)
    out(`Live volume "${v.volume}" (${v.path}) from snapshot ${v.snapshot.id.slice(0, 8)} of ${v.snapshot.time.toISOString()}: replaced exactly.`);
  if (volumes.length && toStop.length)
    out(`Stopped during the volume restore, then started again: ${toStop.map((c) => c.name).join(", ")}`);
  for (const m of missing) out(`Not restored (no backup at or before ${at}): ${m}`);
  if (!(await confirmRestore(args.yes))) {
    out("Nothing was restored.");
    return 1;
  }
  for (const d of databases) await restorePostgresFiles(app, d.target, snapshots, d.files, signal);
  if (volumes.length) await restoreIntoVolumes(app, volumes, toStop, signal);
  return 0;
}
