// Named volumes and the containers that use them, for restore and verify scenarios: each volume looks
// like a Compose project's and is reached by the agent through a root of symlinks to its mountpoint
// (as a `name:/volumes/name` mount would show it).
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from "node:fs";
import { join, relative } from "node:path";
import { execa } from "execa";
import { docker, E2E_LABEL, uniqueName } from "./docker.js";

const volumes: string[] = [];

/** Creates `<project>_<key>` with Compose's labels, links it under `root`; returns its mountpoint. */
export async function createProjectVolume(project: string, key: string, root: string): Promise<{ name: string; dir: string }> {
  const name = `${project}_${key}`;
  await docker([
    "volume",
    "create",
    "--label",
    E2E_LABEL,
    "--label",
    `com.docker.compose.project=${project}`,
    "--label",
    `com.docker.compose.volume=${key}`,
    name,
  ]);
  volumes.push(name);
  const dir = (await docker(["volume", "inspect", "-f", "{{.Mountpoint}}", name])).trim();
  symlinkSync(dir, join(root, name));
  return { name, dir };
}

export async function removeTestVolumes(): Promise<void> {
  const names = volumes.splice(0);
  if (names.length) await execa("docker", ["volume", "rm", "-f", ...names], { reject: false });
}

/** Every entry below dir: relative path → type, mode, size and sha256 (symlinks by target). */
export function digestTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      const st = lstatSync(path);
      const mode = (st.mode & 0o7777).toString(8);
      const key = relative(dir, path);
      if (entry.isDirectory()) {
        out[`${key}/`] = mode;
        walk(path);
      } else if (entry.isSymbolicLink()) out[key] = `-> ${readlinkSync(path)}`;
      else out[key] = `${mode} ${st.size} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`;
    }
  };
  walk(dir);
  return out;
}

/** A container of the project that mounts `volume` at /data and stops within a second of SIGTERM. */
export async function startVolumeUser(
  project: string,
  service: string,
  volume: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const name = uniqueName(`${project}-${service}`);
  const args = ["run", "-d", "--name", name, "--label", E2E_LABEL, "-v", `${volume}:/data`];
  for (const [k, v] of Object.entries({
    "com.docker.compose.project": project,
    "com.docker.compose.service": service,
    ...labels,
  }))
    args.push("--label", `${k}=${v}`);
  await docker([...args, "backup-agent-test/debian:trixie", "sh", "-c", 'trap "exit 0" TERM; while :; do sleep 0.2; done']);
  return name;
}

export async function containerState(name: string): Promise<{ running: boolean; startedAt: string }> {
  const [running, startedAt] = (await docker(["inspect", "-f", "{{.State.Running}} {{.State.StartedAt}}", name])).split(" ");
  return { running: running === "true", startedAt: startedAt ?? "" };
}

/** Verify temp dirs of one run left in the temp directory. */
export function verifyDirsOf(tmp: string, runId: string): string[] {
  return readdirSync(tmp).filter((n) => n.startsWith(`backup-agent-verify-${runId}-`));
}
