// BACKUP_CHECK_SUBSET as restic 0.18's `check --read-data-subset` accepts it (cmd/restic/cmd_check.go):
// "n/t" (1 <= n <= t <= 256), "x%" or "x.y%" (0 < x <= 100), or a size with a k/m/g/t/b suffix (> 0).

const MAX_BUCKETS = 256;
const UNITS: Record<string, bigint> = { b: 1n, k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n };

/** Why restic would refuse the subset, or undefined when it accepts it. */
export function subsetProblem(v: string): string | undefined {
  const expected = 'expected "n/t" (e.g. "1/7"), a percentage above 0 and at most 100 (e.g. "5%", "2.5%") or a size with a unit (e.g. "500M", "2G")';
  const buckets = /^(\d+)\/(\d+)$/.exec(v);
  if (buckets) {
    const [n, t] = [Number(buckets[1]), Number(buckets[2])];
    if (n < 1 || t < 1 || n > t) return `${expected}; in "n/t", n and t must be at least 1 and n at most t`;
    if (t > MAX_BUCKETS) return `${expected}; in "n/t", t must be at most ${MAX_BUCKETS}`;
    return undefined;
  }
  if (v.endsWith("%")) {
    const text = v.slice(0, -1);
    const percent = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
    return percent > 0 && percent <= 100 ? undefined : expected;
  }
  // A bare number is refused by restic too: it reads it as "n/t" with one part.
  const size = /^[+-]?(\d+)([bkmgt])$/i.exec(v);
  if (!size || v.startsWith("-")) return expected;
  const bytes = BigInt(size[1] as string) * (UNITS[(size[2] as string).toLowerCase()] as bigint);
  if (bytes <= 0n) return `${expected}; a size must be above 0`;
  if (bytes >= 1n << 63n) return `${expected}; that size is too large`;
  return undefined;
}
