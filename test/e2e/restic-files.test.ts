// The agent reads what restic reads exactly as restic 0.18 does: a password file works through the
// agent when, and only when, it works with `restic --password-file`; BACKUP_CHECK_SUBSET is refused at
// start when, and only when, `restic check --read-data-subset` refuses it.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { subsetProblem } from "../../src/config/subset.js";
import { readTextFile } from "../../src/config/text-file.js";
import { baseEnv, runAgent } from "./support/daemon.js";

const dir = mkdtempSync(join(tmpdir(), "e2e-restic-files-"));
const repo = join(dir, "repo");
const PASSWORD = "pw with inner  spaces";

const utf16 = (text: string, le: boolean) => {
  const body = Buffer.from(`\ufeff${text}`, "utf16le");
  return le ? body : Buffer.from(body.map((_, i) => body[i % 2 === 0 ? i + 1 : i - 1] as number));
};

const FILES: Record<string, Buffer> = {
  "a trailing newline": Buffer.from(`${PASSWORD}\n`),
  "CRLF": Buffer.from(`${PASSWORD}\r\n`),
  "spaces and tabs at both ends": Buffer.from(` \t${PASSWORD} \t\n\n`),
  "a UTF-8 byte order mark": Buffer.from(`\ufeff${PASSWORD}\n`),
  "UTF-16 little-endian": utf16(`${PASSWORD}\n`, true),
  "UTF-16 big-endian": utf16(`${PASSWORD}\n`, false),
  "a trailing no-break space": Buffer.from(`${PASSWORD}\u00a0`),
  "a trailing next-line character": Buffer.from(`${PASSWORD}\u0085`),
  "vertical tab and form feed": Buffer.from(`${PASSWORD}\v\f`),
  "a trailing zero-width no-break space (not space to Go)": Buffer.from(`${PASSWORD}\ufeff`),
  "its inner spaces changed": Buffer.from(`${PASSWORD.replace("  ", " ")}\n`),
};

/** restic itself, with nothing of ours: PATH and HOME only, plus what the call sets. */
const bare = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root" };
const restic = (args: string[]) => execa("restic", ["-r", repo, ...args], { env: { ...bare, RESTIC_PASSWORD: PASSWORD }, extendEnv: false, reject: false });

beforeAll(async () => {
  expect((await restic(["init", "--quiet"])).exitCode).toBe(0);
  writeFileSync(join(dir, "data"), "data");
  expect((await restic(["backup", "--quiet", join(dir, "data")])).exitCode).toBe(0);
  for (const [name, data] of Object.entries(FILES)) writeFileSync(join(dir, name), data);
});

describe("password files, as restic reads them", () => {
  for (const name of Object.keys(FILES)) {
    it(`with ${name}: the agent's password is restic's`, async () => {
      const file = join(dir, name);
      const withRestic = await execa("restic", ["-r", repo, "cat", "config", "--password-file", file], { extendEnv: false, reject: false, env: bare });
      expect(readTextFile(file) === PASSWORD).toBe(withRestic.exitCode === 0);
    });
  }

  it("lets `run check` open the repository with a file restic accepts", async () => {
    const result = await runAgent(["run", "check"], baseEnv({ RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: join(dir, "spaces and tabs at both ends"), BACKUP_HTTP_LISTEN: "off" }));
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).not.toContain(PASSWORD);
  });
});

describe("check subsets, as restic checks them", () => {
  const values = ["5%", "100%", "100.0%", "0.5%", ".5%", "5.%", "1e1%", "0%", "150%", "abc%", "5%%", " 5%", "1/7", "1/256", "0/7", "8/7", "1/257", "1/2/3", "1/-1", "500", "500M", "500b", "5k", "5K", "2g", "1T", "+5M", "0M", "-5M", "9999999999T", "banana"];
  for (const value of values) {
    it(`agrees with restic on ${JSON.stringify(value)}`, async () => {
      const result = await restic(["check", "--quiet", `--read-data-subset=${value}`]);
      expect(subsetProblem(value) !== undefined, String(result.stderr)).toBe(result.exitCode !== 0);
    });
  }
});
