// Labels that would silently do nothing: an unknown backup-agent.* name, a misspelt prefix
// (backup_agent., backup-agnet.), a kind's label without the label that enables the kind, a switch
// that is neither true nor false, a volume's label on a container. Kinds check their own values.
import { closestWord, editDistance } from "../config/nearest.js";
import { looksSecretName, registerSecret, registerUrlCredentials } from "../config/redact.js";
import { describeSecret } from "../config/secret.js";
import { LABEL_PREFIX } from "./labels.js";

export interface LabelRules {
  /** Every label name that means something on this kind of object (container or volume). */
  known: readonly string[];
  /** Labels whose value must be true or false, and which no kind checks itself. */
  switches: readonly string[];
  /** A label → the labels one of which it needs to do anything. */
  requires: ReadonlyMap<string, readonly string[]>;
  /** Labels that belong on the other kind of object → what to say ("a volume label"). */
  elsewhere: ReadonlyMap<string, string>;
}

const PREFIX = LABEL_PREFIX.slice(0, -1);
/** "backup_agent-", "backup.agent:", "backupagent/": the prefix with a wrong separator before the rest. */
const LOOSE_PREFIX = /^backup[-_.]?agent[-_.:/]/i;

/** One problem per label that cannot work as written: `label KEY=VALUE: why`. */
export function labelProblems(labels: Readonly<Record<string, string>>, rules: LabelRules): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const why = problemOf(key, labels, rules);
    if (why) problems.push(`label ${key}=${shown(key, value)}: ${why}`);
  }
  return problems;
}

function problemOf(key: string, labels: Readonly<Record<string, string>>, rules: LabelRules): string | undefined {
  const lower = key.toLowerCase();
  if (!lower.startsWith(LABEL_PREFIX)) {
    const head = lower.split(".")[0] as string;
    const loose = LOOSE_PREFIX.test(key);
    const rest = loose ? key.replace(LOOSE_PREFIX, "") : key.slice(head.length + 1);
    // Only what would be one of ours with the prefix mended (backup-agent-e2e=1 is somebody else's).
    const ours = rules.known.some((k) => k.split(".")[1] === rest.split(".")[0]);
    if (ours && (loose || (head !== PREFIX && editDistance(head, PREFIX) <= 2 && key.includes(".")))) {
      return `looks like a backup-agent label with a misspelt prefix, which backup-agent ignores (expected ${LABEL_PREFIX}${rest})`;
    }
    return undefined;
  }
  if (!rules.known.includes(key)) {
    const elsewhere = rules.elsewhere.get(key);
    if (elsewhere) return `is ${elsewhere}: here it does nothing`;
    if (rules.known.includes(lower)) return `label names are case-sensitive: expected ${lower}`;
    const nearest = closestWord(key, rules.known, 4);
    return `not a label backup-agent knows (${nearest ? `did you mean ${nearest}?` : "see the README's labels"})`;
  }
  if (rules.switches.includes(key) && !["true", "false"].includes(labels[key] as string)) return "expected true or false";
  const needs = rules.requires.get(key);
  if (needs && !needs.some((n) => n in labels)) return `does nothing without ${needs.join(" or ")}`;
  return undefined;
}

/** A label value as a problem shows it: quoted, or by its length when the name looks like a secret's. */
function shown(key: string, value: string): string {
  registerUrlCredentials(value);
  // A "-env" label names a variable: its value is a name, not the secret.
  if (!looksSecretName(key) || key.endsWith("-env")) return JSON.stringify(value);
  registerSecret(value);
  return describeSecret(value);
}
