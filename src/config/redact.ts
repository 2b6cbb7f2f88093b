// The one redaction of every output (stdout, stderr, logs, healthchecks bodies, /metrics, /status):
// the values known to be secret, registered as they are read, and rules for what may be one
// (credentials in URLs, secret-looking assignments, bearer tokens). See README "Configuration".
import { closestWord } from "./nearest.js";

export const REDACTED = "[redacted]";

/**
 * Shorter values, numbers and switch words cannot be told apart from ordinary output (a container's
 * `MYSQL_ALLOW_EMPTY_PASSWORD=true`, a 4-digit PIN): hiding them would garble every "true" and every
 * metric. restic accepts such passwords; nothing searches for them.
 */
export const MIN_SECRET_LENGTH = 6;
const ORDINARY = /^(?:[-+]?[\d.,:_ ]+|true|false|yes|no|on|off|null|none|enabled|disabled)$/i;

const known = new Set<string>();
let knownPattern: RegExp | undefined;

/** Remembers a secret value: from now on no output shows it (nor its JSON- or URL-encoded form). */
export function registerSecret(value: string | undefined): void {
  if (value === undefined) return;
  const forms = [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)];
  // A multi-line secret (a key file) may be printed one line at a time.
  if (value.includes("\n")) forms.push(...value.split(/\r?\n/).map((l) => l.trim()));
  for (const form of forms) {
    if (form.length >= MIN_SECRET_LENGTH && !ORDINARY.test(form) && !known.has(form)) {
      known.add(form);
      knownPattern = undefined;
    }
  }
}

/** Registers the passwords inside every URL of `text` (`https://user:pw@host`), raw and decoded. */
export function registerUrlCredentials(text: string | undefined): void {
  if (!text) return;
  for (const match of text.matchAll(URL_USERINFO)) {
    const userinfo = match[2] as string;
    const colon = userinfo.indexOf(":");
    if (colon < 0) continue;
    const password = userinfo.slice(colon + 1);
    registerSecret(password);
    try {
      registerSecret(decodeURIComponent(password));
    } catch {
      // not percent-encoded: the raw form is registered
    }
  }
}

/** `scheme://userinfo@`: the userinfo runs to the last "@" of the word, so a password may hold "/" or "@". */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s"'<>]*)@/gi;

/** `NAME=value` (env, query strings, connection strings) whose name looks like a secret's. */
const ASSIGNMENT = /(?<![\w.])([A-Za-z_][\w.-]*)=("[^"]*"|'[^']*'|[^\s"'&;,)]+)/g;

/** `"name": "value"` in JSON whose name looks like a secret's. */
const JSON_FIELD = /"([A-Za-z_][\w.-]*)"(\s*:\s*)"(?:[^"\\]|\\.)*"/g;

const BEARER = /\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/-]{8,}=*/g;

/** The text with every known secret and everything that may be one replaced by "[redacted]". */
export function redact(text: string): string {
  let out = text;
  if (known.size > 0) out = out.replace(pattern(), REDACTED);
  out = out.replace(URL_USERINFO, (_m, scheme: string, userinfo: string) => {
    if (userinfo === REDACTED) return `${scheme}${userinfo}@`;
    const colon = userinfo.indexOf(":");
    const user = colon < 0 ? "" : userinfo.slice(0, colon);
    return colon < 0 || user.includes("/") ? `${scheme}${REDACTED}@` : `${scheme}${user}:${REDACTED}@`;
  });
  out = out.replace(ASSIGNMENT, (m, name: string, value: string) => {
    // "<redacted, 12 characters>" is what a problem shows of a secret: already safe.
    if (!isSecretAssignment(name) || value.startsWith("<redacted") || value.startsWith(REDACTED)) return m;
    const quote = value[0] === '"' || value[0] === "'" ? value[0] : "";
    return `${name}=${quote}${REDACTED}${quote}`;
  });
  out = out.replace(JSON_FIELD, (m, name: string, colon: string) =>
    isSecretAssignment(name) ? `"${name}"${colon}"${REDACTED}"` : m,
  );
  return out.replace(BEARER, `$1$2${REDACTED}`);
}

function isSecretAssignment(name: string): boolean {
  // A _FILE variable holds a path, not the secret.
  return looksSecretName(name) && !/[_-]FILE$/i.test(name);
}

function pattern(): RegExp {
  if (!knownPattern) {
    const alternatives = [...known].sort((a, b) => b.length - a.length).map(escapeRegExp);
    knownPattern = new RegExp(alternatives.join("|"), "g");
  }
  return knownPattern;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/** Words whose misspellings still name a secret (PASWORD, PASSWROD, SECERT, TOKNE). */
const SECRET_WORDS = ["PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "CREDENTIAL", "CREDENTIALS", "APIKEY"];

/**
 * Whether a variable, label or field name looks like it holds a secret: a word like PASSWORD,
 * SECRET, TOKEN or KEY (misspelt too), or a healthchecks or webhook URL.
 */
export function looksSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
  if (words.some((w) => w.includes("PASS") || w.includes("PASW") || w === "PWD" || w === "PW" || w === "AUTH" || w === "AUTHORIZATION" || w === "DSN")) return true;
  if (words.some((w) => w === "KEY" || w === "KEYS" || (w.length > 3 && w.endsWith("KEY")))) return true;
  if (words.some((w) => w.length >= 5 && closestWord(w, SECRET_WORDS, 2) !== undefined)) return true;
  return words.includes("URL") && words.some((w) => ["HC", "PING", "HOOK", "WEBHOOK"].includes(w));
}

/** Writes to the stream pass through redact(): the last guard of stdout and stderr. */
export function redactWrites(stream: NodeJS.WritableStream): void {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  (stream as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]): boolean => {
    const encoding = typeof rest[0] === "string" ? rest[0] : "utf8";
    const text =
      typeof chunk === "string" && /^utf-?8$/i.test(encoding)
        ? chunk
        : chunk instanceof Uint8Array
          ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("utf8")
          : undefined;
    if (text === undefined) return write(chunk, ...rest);
    const safe = redact(text);
    return write(safe === text ? chunk : safe, ...rest);
  };
}

/** For tests: forgets every registered secret. */
export function forgetSecrets(): void {
  known.clear();
  knownPattern = undefined;
}
