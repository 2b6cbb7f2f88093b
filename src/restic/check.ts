// `restic check --json`: when it fails, what it found by pack id (damaged, missing) and restic's own
// repair advice, plus the snapshots whose data those packs hold (`restic find --pack`).
import { type ResticEnv, spawnRestic } from "./command.js";
import { ResticError, resticError, stderrSummary } from "./errors.js";

/** A failed check that says what restic found. */
export class ResticCheckError extends ResticError {
  override name = "ResticCheckError";
  /** Packs whose contents failed to decrypt or verify. */
  damagedPacks: string[] = [];
  /** Packs the index names but the backend does not have. */
  missingPacks: string[] = [];
  /** Snapshots that hold data in those packs (full ids), when restic could tell. */
  affectedSnapshots: string[] = [];
  /** restic's own next steps ("restic repair packs …", "restic repair snapshots --forget"). */
  advice: string[] = [];
}

interface CheckLine {
  message_type?: string;
  message?: string;
  broken_packs?: string[] | null;
}

/** Reads `check --json` output (stdout and stderr) into what it found. */
export function parseCheckOutput(stdout: string, stderr: string): Pick<ResticCheckError, "damagedPacks" | "missingPacks" | "advice"> {
  const damaged = new Set<string>();
  const missing = new Set<string>();
  const advice: string[] = [];
  for (const line of `${stdout}\n${stderr}`.split("\n")) {
    let m: CheckLine;
    try {
      m = JSON.parse(line) as CheckLine;
    } catch {
      continue;
    }
    for (const id of m.broken_packs ?? []) damaged.add(id);
    const text = m.message ?? "";
    for (const match of text.matchAll(/pack ([0-9a-f]{64})(:? [^\n]*)/g)) {
      if (/does not exist|not found/.test(match[2] ?? "")) missing.add(match[1] as string);
      else if (/contains \d+ errors?/.test(match[2] ?? "")) damaged.add(match[1] as string);
    }
    for (const l of text.split("\n")) if (/^restic repair /.test(l.trim())) advice.push(l.trim());
  }
  return { damagedPacks: [...damaged].sort(), missingPacks: [...missing].filter((id) => !damaged.has(id)).sort(), advice };
}

/** `restic check --json [--read-data-subset=…]`; throws ResticCheckError naming what it found. */
export async function checkRepository(env: ResticEnv, subset: string | undefined, signal: AbortSignal): Promise<void> {
  const args = ["check", "--json"];
  if (subset) args.push(`--read-data-subset=${subset}`);
  const result = await spawnRestic(env, args, signal);
  if (result.exitCode === 0) return;
  const stdout = String(result.stdout);
  const stderr = String(result.stderr);
  const found = parseCheckOutput(stdout, stderr);
  const packs = [...found.damagedPacks.map((p) => `damaged pack ${p}`), ...found.missingPacks.map((p) => `missing pack ${p}`)];
  const error = resticError("check", result.exitCode, packs.length ? packs.join(", ") : stderrSummary(stderr), {
    isCanceled: result.isCanceled,
    cause: result.isCanceled ? signal.reason : undefined,
  });
  if (result.isCanceled || packs.length === 0) throw error;
  const checkError = Object.assign(new ResticCheckError(error.message, { exitCode: result.exitCode }), found);
  checkError.affectedSnapshots = await snapshotsOfPacks(env, [...found.damagedPacks, ...found.missingPacks], signal);
  throw checkError;
}

/** The snapshots that reference blobs stored in the packs (`restic find --pack`), by full id. */
async function snapshotsOfPacks(env: ResticEnv, packs: readonly string[], signal: AbortSignal): Promise<string[]> {
  const result = await spawnRestic(env, ["find", "--no-lock", "--json", "--pack", ...packs], signal);
  if (result.exitCode !== 0) return [];
  const ids = new Set<string>();
  for (const match of String(result.stdout).matchAll(/"snapshot":"([0-9a-f]{64})"/g)) ids.add(match[1] as string);
  return [...ids].sort();
}
