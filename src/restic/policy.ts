// Why: the agent applies restic's forget policy itself, so all snapshots of one backup run are kept or dropped together.
// An exact port of restic 0.18.0's ApplyPolicy (internal/restic/snapshot_policy.go) and Duration (duration.go).
import type { RetentionPolicy } from "../config/retention.js";

export type { RetentionPolicy };

type Duration = Record<"years" | "months" | "days" | "hours", number>;
/** A Go time.Time: an instant (Unix seconds and nanoseconds) and the UTC offset (seconds) it is displayed in. */
type Time = { sec: number; nsec: number; offset: number };

const COUNTS = ["last", "hourly", "daily", "weekly", "monthly", "yearly"] as const;
const UNITS = { y: "years", m: "months", d: "days", h: "hours" } as const;
const ZERO_TIME: Time = { sec: -62135596800, nsec: 0, offset: 0 }; // Go's time.Time{}: 0001-01-01T00:00:00Z
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

const floorDiv = (a: number, b: number) => Math.floor(a / b);
const mod = (a: number, b: number) => a - floorDiv(a, b) * b;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = floorDiv(y, 400);
  const yoe = y - era * 400;
  const doy = floorDiv(153 * (month > 2 ? month - 3 : month + 9) + 2, 5) + day - 1;
  return era * 146097 + yoe * 365 + floorDiv(yoe, 4) - floorDiv(yoe, 100) + doy - 719468;
}

/** The date of a day number (civil_from_days). */
function civilFromDays(days: number): { y: number; m: number; d: number } {
  const z = days + 719468;
  const era = floorDiv(z, 146097);
  const doe = z - era * 146097;
  const yoe = floorDiv(doe - floorDiv(doe, 1460) + floorDiv(doe, 36524) - floorDiv(doe, 146096), 365);
  const doy = doe - (365 * yoe + floorDiv(yoe, 4) - floorDiv(yoe, 100));
  const mp = floorDiv(5 * doy + 2, 153);
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d: doy - floorDiv(153 * mp + 2, 5) + 1 };
}

/** A snapshot time as restic prints it (Go's RFC 3339 with up to nine fractional digits). */
function parseTime(text: string): Time {
  const f = RFC3339.exec(text);
  if (!f) throw new Error(`not an RFC 3339 time: ${JSON.stringify(text)}`);
  const n = (i: number) => Number(f[i] ?? 0);
  const [y, mo, d, h, mi, s, oh, om] = [n(1), n(2), n(3), n(4), n(5), n(6), n(9), n(10)];
  const monthDays = daysFromCivil(mo === 12 ? y + 1 : y, (mo % 12) + 1, 1) - daysFromCivil(y, mo, 1);
  if (mo < 1 || mo > 12 || d < 1 || d > monthDays || h > 23 || mi > 59 || s > 59 || oh > 23 || om > 59) {
    throw new Error(`time out of range: ${JSON.stringify(text)}`);
  }
  const offset = (f[8] === "-" ? -1 : 1) * (oh * 3600 + om * 60);
  const sec = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
  return { sec, nsec: Number((f[7] ?? "").padEnd(9, "0")), offset };
}

const compare = (a: Time, b: Time) => a.sec - b.sec || a.nsec - b.nsec;

/** The wall clock of t in its own offset, as Go's Date() and Clock() see it. */
function wall(t: Time) {
  const local = t.sec + t.offset;
  const days = floorDiv(local, 86400);
  const secOfDay = local - days * 86400;
  return { ...civilFromDays(days), hour: floorDiv(secOfDay, 3600), days, secOfDay };
}
type Wall = ReturnType<typeof wall>;

/** Go's t.AddDate(years, months, days): wall-clock arithmetic, overflowing days and months normalised. */
function addDate(t: Time, years: number, months: number, days: number): Time {
  const w = wall(t);
  const m0 = w.m - 1 + months;
  const day = daysFromCivil(w.y + years + floorDiv(m0, 12), mod(m0, 12) + 1, 1) + w.d - 1 + days;
  return { sec: day * 86400 + w.secOfDay - t.offset, nsec: t.nsec, offset: t.offset };
}

/** Go's ISOWeek as year*100+week: the year and week of the Thursday in the same Monday-based week. */
function isoWeek(w: Wall): number {
  const weekday = mod(w.days + 4, 7); // 1970-01-01 was a Thursday; 0 is Sunday
  const thursday = w.days + (weekday === 0 ? -3 : 4 - weekday);
  const { y } = civilFromDays(thursday);
  return y * 100 + floorDiv(thursday - daysFromCivil(y, 1, 1), 7) + 1;
}

const BUCKETS: readonly { bucker: (w: Wall, nr: number) => number; reason: string }[] = [
  { bucker: (_w, nr) => nr, reason: "last snapshot" },
  { bucker: (w) => w.y * 1000000 + w.m * 10000 + w.d * 100 + w.hour, reason: "hourly snapshot" },
  { bucker: (w) => w.y * 10000 + w.m * 100 + w.d, reason: "daily snapshot" },
  { bucker: isoWeek, reason: "weekly snapshot" },
  { bucker: (w) => w.y * 100 + w.m, reason: "monthly snapshot" },
  { bucker: (w) => w.y, reason: "yearly snapshot" },
];

/** restic's ParseDuration: numbers with a unit y, m, d or h each, in any order; a repeated unit overrides. */
function parseDuration(text: string): Duration {
  const d: Duration = { years: 0, months: 0, days: 0, hours: 0 };
  let s = text.trim();
  const fail = (why: string) => new Error(`keep-within ${JSON.stringify(text)}: ${why}`);
  while (s !== "") {
    const number = /^(-?)(\d*)(.?)/.exec(s);
    const [sign, digits, unit] = [number?.[1] ?? "", number?.[2] ?? "", number?.[3] ?? ""];
    if (digits === "") throw fail("no number found");
    if (unit === "") throw fail(`no unit found after number ${digits}`);
    const field = (UNITS as Record<string, keyof Duration | undefined>)[unit];
    if (!field) throw fail(`invalid unit "${unit}" found after number ${digits}`);
    d[field] = (sign === "-" ? -1 : 1) * Number(digits);
    if (!Number.isSafeInteger(d[field])) throw fail("number too large");
    s = s.slice(sign.length + digits.length + 1);
  }
  return d;
}

/** Duration.String(): "1y2m3d4h", zero parts left out (restic prints this in its "within" reasons). */
const durationString = (d: Duration) =>
  (Object.entries(UNITS) as [string, keyof Duration][]).map(([u, k]) => (d[k] ? `${d[k]}${u}` : "")).join("");
const isZero = (d: Duration) => !d.years && !d.months && !d.days && !d.hours;

/** The counts (0 when unset) and duration, refused as restic forget refuses them. */
function checked(policy: RetentionPolicy): { counts: number[]; within: Duration } {
  const counts = COUNTS.map((key) => {
    const v = policy[key] ?? 0;
    if (!Number.isSafeInteger(v) || v < -1) throw new Error(`keep-${key}: ${v} is neither a whole number ≥ 0 nor -1 (all)`);
    return v;
  });
  const within = parseDuration(policy.within ?? "");
  if (Object.values(within).some((v) => v < 0)) throw new Error(`keep-within ${policy.within}: negative values`);
  return { counts, within };
}

/** Whether the policy keeps anything: restic's !ExpirePolicy.Empty() (a 0 count or "0d" is no policy). Throws if invalid. */
export function hasPolicy(policy: RetentionPolicy): boolean {
  const { counts, within } = checked(policy);
  return counts.some((c) => c !== 0) || !isZero(within);
}

/** The policy as restic forget flags, in a fixed order: last … yearly, then within; -1 becomes "unlimited". */
export function policyArgs(policy: RetentionPolicy): string[] {
  checked(policy);
  const args: string[] = [];
  for (const key of COUNTS) {
    const v = policy[key];
    if (v !== undefined) args.push(`--keep-${key}`, v === -1 ? "unlimited" : String(v));
  }
  if (policy.within !== undefined) args.push("--keep-within", policy.within);
  return args;
}

/**
 * restic's ApplyPolicy over one group: keep and remove newest first (a stable sort, so equal times stay in
 * input order), with the reasons restic gives for each kept id. An empty policy keeps nothing, as in restic,
 * whose forget refuses it beforehand: check hasPolicy first. `now` only decides which snapshots are in the future.
 */
export function applyPolicy<T extends { id: string; time: string }>(
  items: readonly T[],
  policy: RetentionPolicy,
  now: Date = new Date(),
): { keep: T[]; remove: T[]; reasons: Map<string, string[]> } {
  const { counts, within } = checked(policy);
  const list = items.map((item) => ({ item, t: parseTime(item.time) })).sort((a, b) => compare(b.t, a.t));
  const keep: T[] = [];
  const remove: T[] = [];
  const reasons = new Map<string, string[]>();

  const ms = now.getTime();
  const nowTime: Time = { sec: floorDiv(ms, 1000), nsec: mod(ms, 1000) * 1e6, offset: 0 };
  let latest = ZERO_TIME; // the newest snapshot that is not in the future (findLatestTimestamp)
  for (const { t } of list) if (compare(t, latest) > 0 && compare(t, nowTime) < 0) latest = t;
  const shifted = addDate(latest, -within.years, -within.months, -within.days);
  const threshold: Time = { ...shifted, sec: shifted.sec - within.hours * 3600 };

  const buckets = BUCKETS.map((b, i) => ({ ...b, count: counts[i] ?? 0, last: -1 }));
  list.forEach(({ item, t }, nr) => {
    const why: string[] = [];
    if (!isZero(within) && compare(t, threshold) > 0) why.push(`within ${durationString(within)}`);
    const w = wall(t);
    for (const b of buckets) {
      if (b.count <= 0 && b.count !== -1) continue;
      const val = b.bucker(w, nr);
      // Also keep the oldest snapshot while the bucket has counts left: the longest history possible.
      if (val !== b.last || nr === list.length - 1) {
        why.push(val === b.last ? `oldest ${b.reason}` : b.reason);
        b.last = val;
        if (b.count > 0) b.count--;
      }
    }
    if (why.length > 0) {
      keep.push(item);
      reasons.set(item.id, why);
    } else remove.push(item);
  });
  return { keep, remove, reasons };
}
