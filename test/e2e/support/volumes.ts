// Named volumes and the containers that use them, for restore and verify scenarios: each volume looks
// like a Compose project's and is reached by the agent through a root of symlinks to its mountpoint
// (as a `name:/volumes/name` mount would show it).
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from "node:fs";
import { join, relative } from "node:path";
import { execa } from "execa";
import { docker, E2E_LABEL } from "./docker.js";

const volumes: string[] = [];

/**
 * Creates `<project>_<key>` with Compose's labels (and `labels`), and links it under `root` by its full
 * name or its Compose key, as `name:/volumes/name:ro` would mount it (or not at all); returns its
 * mountpoint on this host.
 */
export async function createProjectVolume(
  project: string,
  key: string,
  root: string | undefined,
  options: { labels?: Record<string, string>; linkAs?: "name" | "key" } = {},
): Promise<{ name: string; dir: string }> {
  const name = `${project}_${key}`;
  const args = ["volume", "create", "--label", E2E_LABEL, "--label", `com.docker.compose.project=${project}`];
  args.push("--label", `com.docker.compose.volume=${key}`);
  for (const [k, v] of Object.entries(options.labels ?? {})) args.push("--label", `${k}=${v}`);
  await docker([...args, name]);
  volumes.push(name);
  const dir = (await docker(["volume", "inspect", "-f", "{{.Mountpoint}}", name])).trim();
  if (root) symlinkSync(dir, join(root, options.linkAs === "key" ? key : name));
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

export async function containerState(name: string): Promise<{ running: boolean; startedAt: string }> {
  const [running, startedAt] = (await docker(["inspect", "-f", "{{.State.Running}} {{.State.StartedAt}}", name])).split(" ");
  return { running: running === "true", startedAt: startedAt ?? "" };
}

/** Verify temp dirs of one run left in the temp directory. */
export function verifyDirsOf(tmp: string, runId: string): string[] {
  return readdirSync(tmp).filter((n) => n.startsWith(`backup-agent-verify-${runId}-`));
}
