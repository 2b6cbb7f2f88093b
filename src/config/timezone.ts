// The schedule's time zone: BACKUP_TIMEZONE, else TZ as the C library reads it (a zone name, or
// ":name" / ":/path/to/zoneinfo/file" such as ":/etc/localtime"), else UTC. A bad TZ is blamed on TZ.
import { realpathSync } from "node:fs";
import { isAbsolute } from "node:path";
import type { Env } from "./env.js";
import { isTimeZone, TIME_ZONE_EXPECTED } from "./fields.js";

export interface ResolvedTimezone {
  zone: string;
  /** Which variable decided it ("default" when neither is set). */
  from: "BACKUP_TIMEZONE" | "TZ" | "default";
}

/** The zone, or a problem naming TZ when BACKUP_TIMEZONE is unset and TZ cannot be used. */
export function resolveTimezone(explicit: string | undefined, env: Env): ResolvedTimezone | { problem: string } {
  if (explicit !== undefined) return { zone: explicit, from: "BACKUP_TIMEZONE" };
  const tz = env.TZ;
  // Unset or empty TZ: the C library uses UTC when empty; the agent documents UTC for unset too.
  if (tz === undefined || tz === "") return { zone: "UTC", from: "default" };
  const zone = zoneOf(tz);
  if (zone && isTimeZone(zone)) return { zone, from: "TZ" };
  return {
    problem: `TZ: ${TIME_ZONE_EXPECTED}, a ":" followed by one, or ":" and a zoneinfo file such as ":/etc/localtime" (BACKUP_TIMEZONE defaults to TZ; set BACKUP_TIMEZONE to override it); got ${JSON.stringify(tz)}`,
  };
}

function zoneOf(tz: string): string | undefined {
  if (!tz.startsWith(":")) return tz;
  const rest = tz.slice(1);
  if (!isAbsolute(rest)) return rest;
  try {
    // /etc/localtime -> /usr/share/zoneinfo/Europe/Berlin: the zone is the path below zoneinfo/.
    const real = realpathSync(rest);
    const at = real.indexOf("/zoneinfo/");
    return at < 0 ? undefined : real.slice(at + "/zoneinfo/".length).replace(/^(posix|right)\//, "");
  } catch {
    return undefined;
  }
}
