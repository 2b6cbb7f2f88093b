// The test's own view of a repository, through the restic CLI (not the agent's code).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

export interface TestRepo {
  env: Record<string, string>;
  path: string;
  password: string;
}

export async function newRepo(prefix: string): Promise<TestRepo> {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  writeFileSync(join(dir, "password"), password);
  const repo = {
    path: join(dir, "repo"),
    password,
    env: { RESTIC_REPOSITORY: join(dir, "repo"), RESTIC_PASSWORD: password },
  };
  await execa("restic", ["init", "--quiet"], { env: repo.env });
  return repo;
}

export interface TestSnapshot {
  id: string;
  time: string;
  paths: string[];
  tags: string[];
  tag: Record<string, string>;
}

/** Snapshots carrying all of the given tags. */
export async function snapshots(repo: TestRepo, ...allTags: string[]): Promise<TestSnapshot[]> {
  const args = ["snapshots", "--json", "--no-lock", ...(allTags.length ? ["--tag", allTags.join(",")] : [])];
  const { stdout } = await execa("restic", args, { env: repo.env });
  return ((JSON.parse(stdout) ?? []) as { id: string; time: string; paths: string[]; tags?: string[] }[]).map((s) => ({
    id: s.id,
    time: s.time,
    paths: s.paths,
    tags: s.tags ?? [],
    tag: Object.fromEntries(
      (s.tags ?? [])
        .filter((t) => t.includes("="))
        .map((t) => [t.slice(0, t.indexOf("=")), t.slice(t.indexOf("=") + 1)]),
    ),
  }));
}

/** The repository's locks (restic list locks): empty when no run holds or left one. */
export async function locks(env: Record<string, string>): Promise<string[]> {
  const { stdout } = await execa("restic", ["list", "locks", "--no-lock", "--quiet"], { env });
  return stdout.split("\n").filter(Boolean);
}
