// The bad-input table's machinery: each case runs the built CLI (`node dist/main.js …`) in its own
// temp dir with a controlled environment, a few at a time, and is judged on what a user would see.
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { expect } from "vitest";

/** In every case's environment; a case that prints it has leaked the repository password. */
export const BASE_SECRET = "base-Pa55word-of-the-e2e-table";

export interface BadInput {
  /** What is wrong, as the test's name says it. */
  what: string;
  /** Merged over the base environment; undefined removes a variable. "{dir}" is the case's own dir. */
  env?: Record<string, string | undefined>;
  /** Files written into the case's dir first (mode 0644 unless given). */
  files?: Record<string, string | Buffer | { data: string | Buffer; mode: number }>;
  /** The command line (default: check-config). */
  args?: string[];
  exit: number;
  /** What the output must say: the field, the value as shown, what was expected. */
  says: (string | RegExp)[];
  /** Values that must appear nowhere in stdout or stderr (the base password is always one). */
  secrets?: string[];
}

export interface Outcome {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** The environment every case starts from: a valid minimal configuration, nothing inherited. */
export function baseEnvironment(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    RESTIC_REPOSITORY: "/srv/e2e-bad-input/repo",
    RESTIC_PASSWORD: BASE_SECRET,
    BACKUP_LOG_FORMAT: "json",
  };
}

async function runCase(c: BadInput): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), "backup-agent-bad-input-"));
  for (const [name, content] of Object.entries(c.files ?? {})) {
    const { data, mode } = typeof content === "string" || Buffer.isBuffer(content) ? { data: content, mode: 0o644 } : content;
    writeFileSync(join(dir, name), data);
    chmodSync(join(dir, name), mode);
  }
  const env: Record<string, string> = baseEnvironment();
  for (const [k, v] of Object.entries(c.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v.replaceAll("{dir}", dir);
  }
  const args = (c.args ?? ["check-config"]).map((a) => a.replaceAll("{dir}", dir));
  const result = await execa("node", ["dist/main.js", ...args], { env, extendEnv: false, reject: false, cwd: process.cwd(), timeout: 60_000, stdin: "ignore" });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Runs every case, `size` processes at a time. */
export async function runCases(cases: readonly BadInput[], size = 8): Promise<Map<BadInput, Outcome>> {
  const out = new Map<BadInput, Outcome>();
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++] as BadInput;
      out.set(c, await runCase(c));
    }
  };
  await Promise.all(Array.from({ length: size }, worker));
  return out;
}

/** A stack frame ("    at fn (file.js:1:2)"): never part of what a user reads. */
const STACK_FRAME = /^\s*at .*(?:\(.*:\d+:\d+\)|:\d+:\d+)$/m;

/** What every case must show: its exit code, what it says, no secret of the case, no stack trace. */
export function expectOutcome(c: BadInput, outcome: Outcome | undefined): void {
  expect(outcome, "the case did not run").toBeDefined();
  const { exitCode, stdout, stderr } = outcome as Outcome;
  const output = `${stdout}\n${stderr}`;
  expect(exitCode, output).toBe(c.exit);
  for (const said of c.says) {
    if (typeof said === "string") expect(output).toContain(said);
    else expect(output).toMatch(said);
  }
  for (const secret of [BASE_SECRET, ...(c.secrets ?? [])]) {
    expect(output.includes(secret), `secret "${secret}" printed:\n${output}`).toBe(false);
  }
  expect(output).not.toMatch(STACK_FRAME);
  if (c.exit === 78) expect(stderr).toMatch(/^backup-agent: invalid configuration \(\d+ problems?\):\n {2}- /);
  if (c.exit === 64) expect(stderr).toMatch(/^backup-agent: /);
}
