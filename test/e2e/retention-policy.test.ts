// Conformance of applyPolicy with real restic 0.18: ~70 snapshots over ~14 months, recorded in several UTC offsets
// and straddling hour, day, week, month and year boundaries, plus two small keep-within groups, under policies
// compared with `restic forget --dry-run`.
import { createCipheriv, createHash, randomBytes, scryptSync } from "node:crypto";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyPolicy, policyArgs, type RetentionPolicy } from "../../src/restic/policy.js";
import { newRepo } from "./support/restic.js";

interface ResticSnapshot {
  id: string;
  time: string;
  hostname: string;
}
interface ForgetGroup {
  host: string;
  keep: ResticSnapshot[] | null;
  remove: ResticSnapshot[] | null;
  reasons: { snapshot: ResticSnapshot; matches: string[] }[] | null;
}

const le = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).reverse().toString("hex") || "0"}`);

/** Poly1305 with a 16-byte r and s, as restic's MAC uses it (s is AES-128 of the nonce). */
function poly1305(message: Buffer, r: Buffer, s: Buffer): Buffer {
  const p = (1n << 130n) - 5n;
  const clamped = le(r) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  let acc = 0n;
  for (let i = 0; i < message.length; i += 16) {
    const block = message.subarray(i, i + 16);
    acc = ((acc + le(block) + (1n << BigInt(8 * block.length))) * clamped) % p;
  }
  acc = (acc + le(s)) & ((1n << 128n) - 1n);
  return Buffer.from(acc.toString(16).padStart(32, "0"), "hex").reverse();
}

/**
 * Re-encrypts the repository's one key file with scrypt N=1024, r=p=1 instead of restic's calibrated ~0.5 s of
 * CPU, so that the ~110 restic processes below take seconds, not a minute. restic reads N, r and p from the key
 * file; its format (scrypt → AES-256-CTR key ‖ Poly1305-AES key, data = IV ‖ ciphertext ‖ MAC) is restic's design doc's.
 */
function cheapenKey(repository: string, password: string): void {
  const dir = join(repository, "keys");
  const [name, ...more] = readdirSync(dir);
  if (!name || more.length) throw new Error(`expected one key file in ${dir}`);
  const key = JSON.parse(readFileSync(join(dir, name), "utf8")) as Record<string, unknown>;
  const derive = (salt: Buffer, N: number, r: number, p: number) => {
    const k = scryptSync(password, salt, 64, { N, r, p, maxmem: 1 << 30 });
    return { aes: k.subarray(0, 32), macK: k.subarray(32, 48), macR: k.subarray(48, 64) };
  };
  const old = derive(Buffer.from(String(key.salt), "base64"), Number(key.N), Number(key.r), Number(key.p));
  const data = Buffer.from(String(key.data), "base64");
  const decipher = createCipheriv("aes-256-ctr", old.aes, data.subarray(0, 16));
  const master = decipher.update(data.subarray(16, data.length - 16));

  const salt = randomBytes(64);
  const iv = randomBytes(16);
  const cheap = derive(salt, 1024, 1, 1);
  const ciphertext = createCipheriv("aes-256-ctr", cheap.aes, iv).update(master);
  const s = createCipheriv("aes-128-ecb", cheap.macK, null).setAutoPadding(false).update(iv);
  const sealed = Buffer.concat([iv, ciphertext, poly1305(ciphertext, cheap.macR, s)]);
  const file = JSON.stringify({ ...key, N: 1024, r: 1, p: 1, salt: salt.toString("base64"), data: sealed.toString("base64") });
  writeFileSync(join(dir, createHash("sha256").update(file).digest("hex")), file);
  rmSync(join(dir, name));
}

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

// [TZ of the restic process, which reads --time as its local time; --time]
const BOUNDARIES: [string, string][] = [
  ["UTC", "2026-03-14 10:59:59"], // an hour ends
  ["UTC", "2026-03-14 11:00:00"],
  ["UTC", "2026-03-14 23:59:59"], // a day ends, and the next starts 5.5 h earlier in UTC
  ["Asia/Kolkata", "2026-03-15 00:00:01"],
  ["UTC", "2026-03-15 23:59:59"], // Sunday to Monday
  ["UTC", "2026-03-16 00:00:00"],
  ["UTC", "2026-01-31 23:59:59"], // a month ends, the next one starts in +14:00 half a day before
  ["Pacific/Kiritimati", "2026-02-01 00:00:00"],
  ["Asia/Kolkata", "2026-02-28 23:59:59"],
  ["Asia/Kolkata", "2026-03-01 00:00:00"],
  ["Asia/Kolkata", "2025-12-31 23:59:59"], // a year ends, in three offsets
  ["UTC", "2026-01-01 00:00:00"],
  ["Pacific/Kiritimati", "2026-01-01 04:00:00"],
  ["Pacific/Pago_Pago", "2026-06-30 23:30:00"], // the month's last day, already July in UTC
  ["UTC", "2026-07-01 09:00:00"],
  ["UTC", "2026-12-28 00:00:00"], // ISO week 53 of 2026 runs to Sunday 2027-01-03
  ["Asia/Kolkata", "2027-01-03 23:59:59"],
  ["Pacific/Pago_Pago", "2027-01-03 20:00:00"],
  ["UTC", "2027-01-04 00:00:00"],
  ["America/St_Johns", "2026-07-15 12:00:00"], // -02:30 in summer, -03:30 in winter
  ["America/St_Johns", "2026-11-15 12:00:00"],
];

// Host w: keep-within from a newest snapshot (2025-03-01 02:00 +05:30, 2025-02-28 20:30 UTC) whose month and day
// differ from UTC's, with snapshots exactly at each policy's threshold (restic keeps only those after it).
const WITHIN_OFFSET: [string, string][] = [
  ["Asia/Kolkata", "2025-03-01 02:00:00"],
  ["Asia/Kolkata", "2025-02-19 02:00:00"], // 10d
  ["Asia/Kolkata", "2025-02-14 14:00:00"], // 14d12h
  ["Asia/Kolkata", "2025-02-01 02:00:01"],
  ["Asia/Kolkata", "2025-02-01 02:00:00"], // 1m (in UTC it would be 2025-01-28 20:30)
  ["UTC", "2025-01-30 00:00:00"],
  ["Asia/Kolkata", "2025-01-01 02:00:00"], // 2m (in UTC it would be 2024-12-28 20:30)
  ["UTC", "2024-12-30 00:00:00"],
  ["Asia/Kolkata", "2024-11-27 23:00:00"], // 3m3d3h: Go's Date(2025, 0, -2), 3 h earlier
  ["Asia/Kolkata", "2024-02-01 02:00:00"], // 1y1m
  ["Asia/Kolkata", "2024-01-26 02:00:00"], // 400d
  ["Asia/Kolkata", "2024-01-26 02:00:01"],
];

// Host e: keep-within from a month's end, where Go's AddDate overflows (2025-02-31 is 2025-03-03) rather than clamps.
const WITHIN_MONTH_END: [string, string][] = [
  ["UTC", "2025-03-31 12:00:00"],
  ["UTC", "2025-03-03 12:00:01"],
  ["UTC", "2025-03-03 12:00:00"], // 1m
  ["UTC", "2025-02-28 12:00:00"],
  ["UTC", "2025-01-31 12:00:00"], // 2m
  ["UTC", "2024-12-28 09:00:00"], // 3m3d3h: Go's Date(2024, 12, 28), 3 h earlier
  ["UTC", "2024-03-02 12:00:00"], // 1y1m: 2024-02-31 is 2024-03-02
  ["UTC", "2024-02-29 12:00:00"],
];

/** A snapshot every 9 days for 13 months before today and two ahead, in turn in each zone, at varying hours. */
function spread(): [string, string][] {
  const zones = ["UTC", "Asia/Kolkata", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/St_Johns"];
  const today = Math.floor(Date.now() / 86_400_000) * 86_400_000;
  return Array.from({ length: 47 }, (_, i) => {
    const k = i - 2;
    const day = new Date(today - k * 9 * 86_400_000).toISOString().slice(0, 10);
    const hour = String(((i * 7) % 24) + (i % 5 === 4 && (i * 7) % 24 === 2 ? 1 : 0)).padStart(2, "0"); // no DST gap
    return [zones[i % 5] ?? "UTC", `${day} ${hour}:${String((i * 13) % 60).padStart(2, "0")}:30`];
  });
}

const POLICIES: RetentionPolicy[] = [
  { last: 5 },
  { hourly: 12 },
  { daily: 10 },
  { weekly: 9 },
  { monthly: 6 },
  { yearly: 2 },
  { yearly: 10 },
  { hourly: -1 },
  { weekly: -1 },
  { within: "2m" },
  { within: "1y1m" },
  { within: "14d12h" },
  { within: "400d" },
  { daily: 7, weekly: 4, monthly: 12, yearly: -1 },
  { last: 3, hourly: 5, within: "10d" },
  { hourly: 30, daily: 20 },
  { last: 2, daily: 3, weekly: 3, monthly: 3, yearly: 3, within: "1m" },
  { monthly: -1, yearly: 1, within: "3m3d3h" },
];

describe("applyPolicy against restic forget", () => {
  let env: Record<string, string>;
  let snapshots: ResticSnapshot[];
  let dir: string | undefined;

  beforeAll(async () => {
    const repo = await newRepo("e2e-policy");
    dir = dirname(repo.path);
    cheapenKey(repo.path, repo.password);
    env = { ...repo.env, RESTIC_CACHE_DIR: join(dir, "cache"), TZ: "UTC" };
    const backup = (host: string, zone: string, time?: string) =>
      execa(
        "restic",
        ["backup", "--quiet", "--stdin", "--stdin-filename", "f", "--host", host, "--tag", "t", ...(time ? ["--time", time] : [])],
        { env: { ...env, TZ: zone }, input: `${zone} ${time ?? "now"}` },
      );
    const plan = [
      ...[...BOUNDARIES, ...spread()].map((b) => ["h", ...b] as const),
      ...WITHIN_OFFSET.map((b) => ["w", ...b] as const),
      ...WITHIN_MONTH_END.map((b) => ["e", ...b] as const),
    ];
    await pool(plan, 4, ([host, zone, time]) => backup(host, zone, time));
    await backup("h", "UTC"); // two at the current time, with nanoseconds: the newest not in the future
    await backup("h", "Asia/Kolkata");
    const { stdout } = await execa("restic", ["snapshots", "--json", "--no-lock"], { env });
    snapshots = JSON.parse(stdout) as ResticSnapshot[];
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("has snapshots in six offsets, some with nanoseconds, all at distinct instants", () => {
    expect(snapshots).toHaveLength(BOUNDARIES.length + 47 + 2 + WITHIN_OFFSET.length + WITHIN_MONTH_END.length);
    const offsets = new Set(snapshots.map((s) => /(Z|[+-]\d\d:\d\d)$/.exec(s.time)?.[1]));
    expect([...offsets].sort()).toEqual(["+05:30", "+14:00", "-02:30", "-03:30", "-11:00", "Z"]);
    expect(snapshots.filter((s) => /\.\d{7,9}(Z|[+-])/.test(s.time)).length).toBeGreaterThan(0);
    expect(new Set(snapshots.map((s) => Date.parse(s.time))).size).toBe(snapshots.length);
  });

  it.each(POLICIES)("keeps and removes what restic keeps and removes, for the same reasons, under %j", async (policy) => {
    const args = ["forget", "--dry-run", "--no-lock", "--json", "--group-by", "host", ...policyArgs(policy)];
    const { stdout } = await execa("restic", args, { env });
    const groups = JSON.parse(stdout) as ForgetGroup[];
    const now = new Date();
    expect(groups.map((g) => g.host).sort()).toEqual(["e", "h", "w"]);
    for (const restic of groups) {
      const ours = applyPolicy(snapshots.filter((s) => s.hostname === restic.host), policy, now);
      expect(ours.keep.map((s) => s.id)).toEqual((restic.keep ?? []).map((s) => s.id));
      expect(ours.remove.map((s) => s.id)).toEqual((restic.remove ?? []).map((s) => s.id));
      expect(ours.keep.map((s) => ours.reasons.get(s.id))).toEqual((restic.reasons ?? []).map((r) => r.matches));
    }
  });

  it("refuses --keep-daily -1, which is why policyArgs writes -1 as unlimited", async () => {
    const forget = await execa("restic", ["forget", "--dry-run", "--no-lock", "--keep-daily", "-1"], { env, reject: false });
    expect(forget.exitCode).not.toBe(0);
    expect(forget.stderr).toContain("use 'unlimited' instead");
  });
});
