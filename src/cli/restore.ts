// `backup-agent restore postgres <service> …`: brings databases of a running container back to one
// backup. The dump's checksum is proven before anything is touched; pg_restore then runs
// --clean --if-exists in one transaction, so a failed restore changes nothing.

import { Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BackupError } from "../core/errors.js";
import { resolveProject } from "../docker/project.js";
import { listSnapshots, type Snapshot } from "../restic/snapshots.js";
import { listDatabases } from "../targets/postgres/backup.js";
import { discoverPostgres } from "../targets/postgres/discover.js";
import { findSnapshot, type ManifestFile } from "../targets/postgres/manifest.js";
import { clientEnv, lastLines, query } from "../targets/postgres/sql.js";
import { readManifest, streamChecked } from "../targets/postgres/verify.js";
import type { App } from "./app.js";
import { type Progress, ttyProgress } from "../restic/progress.js";
import type { PostgresTarget } from "../targets/postgres/discover.js";
import { confirmRestore, withInterrupt } from "./confirm.js";
import { restoreAllCommand } from "./restore-all.js";
import { type PostgresRestoreArgs, parseRestoreArgs } from "./restore-args.js";
import { restoreVolumeCommand } from "./restore-volume.js";

const usage = (message: string) => new BackupError(message, { exitCode: 64 });

/** Exit codes: 0 restored, 1 a restore failed or was declined, 64 bad usage or no confirmation. */
export async function restoreCommand(app: App, args: readonly string[]): Promise<number> {
  const parsed = parseRestoreArgs(args);
  if (typeof parsed === "string") throw usage(parsed);
  if (parsed.kind === "volume") return withInterrupt((signal) => restoreVolumeCommand(app, parsed, signal));
  if (parsed.kind === "all") return withInterrupt((signal) => restoreAllCommand(app, parsed, signal));
  return withInterrupt((signal) => restorePostgresCommand(app, parsed, signal));
}

const out = (line: string) => process.stdout.write(`${line}\n`);

/** The running container of the postgres target named `service`. */
export async function runningPostgresTarget(
  app: App,
  service: string,
): Promise<PostgresTarget> {
  const scope = await resolveProject(app.engine, app.config.targets.project);
  const target = (await discoverPostgres(app.engine, scope.project)).find((t) => t.name === service);
  if (!target)
    throw new BackupError(`restore: no running container is labelled as postgres target "${service}"`);
  if (!target.container.running)
    throw new BackupError(`restore: container ${target.container.name} is not running`);
  return target;
}

async function restorePostgresCommand(
  app: App,
  parsed: PostgresRestoreArgs,
  signal: AbortSignal,
): Promise<number> {
  const target = await runningPostgresTarget(app, parsed.service);
  const snapshots = await listSnapshots(app.repository.env, signal);
  const picked = await pickFiles(app, snapshots, parsed, signal);
  const files = picked.files.filter(
    (f) => f.kind === "postgres" && (!parsed.database || f.database === parsed.database),
  );
  if (files.length === 0) {
    throw new BackupError(
      `restore: backup ${picked.label} of "${parsed.service}" holds no database${parsed.database ? ` "${parsed.database}"` : ""}`,
    );
  }
  describePostgresRestore(target, picked.label, files);
  if (!(await confirmRestore(parsed.yes))) {
    out("Nothing was restored.");
    return 1;
  }
  await restorePostgresFiles(app, target, snapshots, files, signal);
  return 0;
}

/** What a postgres restore will do, printed before the confirmation. */
export function describePostgresRestore(
  target: PostgresTarget,
  label: string,
  files: readonly ManifestFile[],
): void {
  out(`Restore into container ${target.container.name} (target "${target.name}") from ${label}:`);
  for (const f of files) out(`  ${f.database}  ${f.size} bytes  snapshot ${f.snapshot.slice(0, 8)}`);
  out(
    "Objects in these databases that the backup also holds are dropped and recreated (pg_restore --clean --if-exists).",
  );
}

/** Restores each database dump into the running container, checksum first; throws on the first failure. */
export async function restorePostgresFiles(
  app: App,
  target: PostgresTarget,
  snapshots: readonly Snapshot[],
  files: readonly ManifestFile[],
  signal: AbortSignal,
): Promise<void> {
  const existing = await listDatabases(app.engine, target, signal);
  for (const file of files) {
    const database = file.database as string;
    // Prove the bytes first: a dump that does not match its recorded checksum never touches live data.
    const sink = new Writable({ write: (_c, _e, done) => done() });
    const checked = await streamChecked(app.repository.env, snapshots, file, signal, (input) =>
      pipeline(input, sink),
    );
    if (checked.sha256 !== file.sha256 || checked.size !== file.size) {
      throw new BackupError(
        `restore of "${database}": the stored dump's sha256 ${checked.sha256} differs from the recorded ${file.sha256}; nothing was restored`,
      );
    }
    if (!existing.includes(database)) {
      await query(app.engine, target, `CREATE DATABASE "${database.replace(/"/g, '""')}"`, signal);
    }
    let failure: string | undefined;
    const progress = ttyProgress(`restoring ${database}`);
    try {
      await streamChecked(app.repository.env, snapshots, file, signal, async (input) => {
        const result = await app.sandbox.execWithStdin(
          target.container.id,
          [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "-w",
            "-d",
            database,
          ],
          progress.enabled ? input.pipe(countingTap(file.size, progress.update)) : input,
          { env: clientEnv(target, database), signal },
        );
        if (result.exitCode !== 0) failure = `pg_restore exited ${result.exitCode}: ${lastLines(result.stderr)}`;
      });
    } finally {
      progress.done();
    }
    if (failure)
      throw new BackupError(
        `restore of "${database}" into ${target.container.name} failed (rolled back): ${failure}`,
      );
    out(`restored ${database} (${file.size} bytes)`);
  }
}

/** The manifest's files for --snapshot (a manifest or a dump), --at (newest at or before) or the newest. */
/** A pass-through that reports how much of `total` went by (only on a TTY: it adds a stream hop). */
function countingTap(total: number, update: (p: Progress) => void): Transform {
  let done = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      update({ fraction: total ? done / total : 1, bytesDone: done, totalBytes: total });
      callback(null, chunk);
    },
  });
}

export async function pickFiles(
  app: App,
  snapshots: readonly Snapshot[],
  args: { service: string; snapshot?: string; at?: Date },
  signal: AbortSignal,
): Promise<{ files: ManifestFile[]; label: string }> {
  if (args.snapshot) {
    const s = findSnapshot(snapshots, args.snapshot);
    if (!s || s.tags.target !== args.service) {
      throw usage(
        `restore: no snapshot "${args.snapshot}" of target "${args.service}" (see backup-agent snapshots --target ${args.service})`,
      );
    }
    if (s.tags.kind === "postgres") {
      // A single dump: its recorded checksum comes from the manifest of the same run.
      const manifests = snapshots.filter(
        (m) => m.tags.kind === "manifest" && m.tags.target === args.service && m.tags.run === s.tags.run,
      );
      const found = manifests.length
        ? await readManifest(app.repository.env, manifests, args.service, signal)
        : undefined;
      const file = found?.manifest.files.find(
        (f) => s.id.startsWith(f.snapshot) || f.snapshot.startsWith(s.id),
      );
      if (!file)
        throw new BackupError(
          `restore: snapshot ${s.id.slice(0, 8)} has no manifest entry to check it against`,
        );
      return { files: [file], label: `snapshot ${s.id.slice(0, 8)} of ${s.time.toISOString()}` };
    }
    if (s.tags.kind !== "manifest")
      throw usage(
        `restore: snapshot ${s.id.slice(0, 8)} is a ${s.tags.kind} snapshot, not a database backup`,
      );
    const found = await readManifest(app.repository.env, [s], args.service, signal);
    return { files: found?.manifest.files ?? [], label: `run ${s.tags.run} (${s.time.toISOString()})` };
  }
  const found = await readManifest(app.repository.env, snapshots, args.service, signal, args.at);
  if (!found) {
    throw new BackupError(
      `restore: no backup of "${args.service}"${args.at ? ` at or before ${args.at.toISOString()}` : ""}`,
    );
  }
  return {
    files: found.manifest.files,
    label: `run ${found.manifest.run} (${found.snapshot.time.toISOString()})`,
  };
}
