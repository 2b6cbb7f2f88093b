// Every variable as the agent resolved it, for `check-config`: the value (secrets by their length,
// credentials in URLs redacted) and where it came from (the variable, its _FILE, TZ, or the default).
import type { RawEnvironment } from "./env.js";
import { redact } from "./redact.js";
import { isSecretVariable, VARIABLES } from "./schema.js";
import { describeSecret } from "./secret.js";
import type { ResolvedTimezone } from "./timezone.js";

export interface Setting {
  name: string;
  /** As shown: redacted when secret; the documented default when unset (null when there is none). */
  value: string | null;
  /** "env", "file <path>", "TZ", "default" or "unset". */
  from: string;
}

export function describeSettings(raw: Pick<RawEnvironment, "values" | "sources">, timezone: ResolvedTimezone): Setting[] {
  return Object.entries(VARIABLES).map(([name, spec]) => {
    if (name === "BACKUP_TIMEZONE" && timezone.from !== "BACKUP_TIMEZONE") {
      return { name, value: timezone.zone, from: timezone.from };
    }
    const value = raw.values[name];
    const source = raw.sources[name];
    if (value === undefined) return { name, value: spec.fallback ?? null, from: spec.fallback === undefined ? "unset" : "default" };
    const from = source?.from === "file" ? `file ${source.path}` : "env";
    return { name, value: isSecretVariable(name) ? describeSecret(value) : redact(value), from };
  });
}
