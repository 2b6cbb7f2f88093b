// The environment as the schema reads it: each variable from NAME or NAME_FILE (read as restic reads
// its files), where each value came from, every secret registered with the redaction, and the names
// that are wrong (unknown BACKUP_* variables refused, lower-case ones and stray RESTIC_* ones warned).
import { hasControlCharacters } from "./fields.js";
import { closestWord } from "./nearest.js";
import { looksSecretName, redact, registerSecret, registerUrlCredentials } from "./redact.js";
import { acceptsFile, isSecretVariable, RESTIC_PASSED_THROUGH, VARIABLES } from "./schema.js";
import { describeSecret } from "./secret.js";
import { hasSurroundingSpace, readTextFile } from "./text-file.js";

export type Env = Record<string, string | undefined>;

/** Where a variable's value came from: its own name, its _FILE (the path), or nowhere (default). */
export type Source = { from: "env" } | { from: "file"; path: string } | { from: "default" };

export interface RawEnvironment {
  values: Env;
  sources: Record<string, Source>;
  problems: string[];
  warnings: string[];
  /** Variables whose problem is already listed: their schema issue would only repeat it. */
  reported: Set<string>;
}

export function readEnvironment(env: Env): RawEnvironment {
  const raw: RawEnvironment = { values: {}, sources: {}, problems: [], warnings: [], reported: new Set() };
  registerSecrets(env);
  for (const name of Object.keys(VARIABLES)) readVariable(env, name, raw);
  checkNames(env, raw);
  return raw;
}

/** Every value that is, or may be, a secret, before anything could print it. */
function registerSecrets(env: Env): void {
  for (const [name, value] of Object.entries(env)) {
    registerUrlCredentials(value);
    if (isSecretVariable(name) || (!(name in VARIABLES) && !/_FILE$/.test(name) && looksSecretName(name))) {
      registerSecret(value);
    }
  }
}

function readVariable(env: Env, name: string, raw: RawEnvironment): void {
  const direct = env[name];
  const fileVar = `${name}_FILE`;
  const path = acceptsFile(name) ? env[fileVar] : undefined;
  const fail = (problem: string) => {
    raw.reported.add(name);
    raw.problems.push(problem);
  };
  if (direct !== undefined && path !== undefined) {
    return fail(`${name}: set either ${name} or ${fileVar}, not both; got ${show(name, direct)} and ${fileVar} ${JSON.stringify(path)}`);
  }
  if (path === undefined) {
    raw.values[name] = direct;
    raw.sources[name] = direct === undefined ? { from: "default" } : { from: "env" };
    return;
  }
  const shownPath = JSON.stringify(path);
  if (path === "" || hasControlCharacters(path) || hasSurroundingSpace(path)) {
    return fail(`${fileVar}: expected the path of a file, with no control characters or whitespace at either end; got ${shownPath}`);
  }
  let text: string;
  try {
    text = readTextFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(`${fileVar}: cannot read the file ${shownPath} (${code ?? (error as Error).message})`);
  }
  if (text === "") {
    return fail(`${fileVar}: the file ${shownPath} is empty (or only whitespace), expected it to hold ${name}`);
  }
  if (isSecretVariable(name)) registerSecret(text);
  else registerUrlCredentials(text);
  raw.values[name] = text;
  raw.sources[name] = { from: "file", path };
}

/** BACKUP_* names the agent does not know are refused; names it would silently ignore are warned. */
function checkNames(env: Env, raw: RawEnvironment): void {
  const known = Object.keys(VARIABLES).flatMap((n) => (acceptsFile(n) ? [n, `${n}_FILE`] : [n]));
  for (const name of Object.keys(env)) {
    if (known.includes(name)) continue;
    const upper = name.toUpperCase();
    if (name.startsWith("BACKUP_")) {
      const nearest = closestWord(name, known, 4);
      const hint = nearest ? `did you mean ${nearest}?` : "see the README for the variables it reads";
      const secret = looksSecretName(name) || (nearest !== undefined && isSecretVariable(nearest.replace(/_FILE$/, "")));
      const value = env[name] ?? "";
      raw.problems.push(`${name}: not a variable backup-agent knows (${hint}); got ${secret ? describeSecret(value) : JSON.stringify(redact(value))}`);
    } else if (name !== upper && (upper.startsWith("BACKUP_") || upper.startsWith("RESTIC_"))) {
      raw.warnings.push(`${name} is ignored: variable names are upper case (${upper})`);
    } else if (name.startsWith("RESTIC_") && !RESTIC_PASSED_THROUGH.includes(name)) {
      raw.warnings.push(`${name} is ignored: backup-agent passes only ${RESTIC_PASSED_THROUGH.join(", ")} on to restic, and reads the repository and password from its own variables`);
    }
  }
}

/** A value as a problem shows it: a secret by its length, anything else quoted. */
export function show(name: string, value: string | undefined): string {
  if (value === undefined) return "nothing";
  return isSecretVariable(name) ? describeSecret(value) : JSON.stringify(redact(value));
}
