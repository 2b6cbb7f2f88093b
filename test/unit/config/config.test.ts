import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { checkConfigCommand } from "../../../src/cli/check-config.js";
import { loadConfig } from "../../../src/config/load.js";
import { ConfigError } from "../../../src/core/errors.js";

const dir = mkdtempSync(join(tmpdir(), "backup-agent-config-"));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

// Any executable serves as RESTIC_BINARY: loading the config only checks that it can be run.
const VALID = { RESTIC_REPOSITORY: "/srv/restic", RESTIC_PASSWORD: "correct horse battery", RESTIC_BINARY: process.execPath };

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error("the config was accepted");
}

describe("loadConfig", () => {
  it("accepts the minimal config and fills the documented defaults", () => {
    const config = loadConfig(VALID);
    expect(config.restic.password.reveal()).toBe("correct horse battery");
    expect(config.http).toEqual({ host: "127.0.0.1", port: 9180 });
    expect(config.schedule.source).toBe("embedded default");
    expect(config.schedule.entries.map((e) => e.job)).toEqual(["postgres", "backup", "offsite", "verify", "wal", "basebackup"]);
    expect(config.jobs.backup.timeoutMs).toBe(6 * 3600_000);
    expect(config.jobs.check.healthcheck).toBeUndefined();
  });

  it("reads a secret from NAME_FILE and drops the file's trailing newline", () => {
    const config = loadConfig({
      RESTIC_REPOSITORY: "/srv/restic",
      RESTIC_PASSWORD_FILE: file("pw", "s3cret\n"),
    });
    expect(config.restic.password.reveal()).toBe("s3cret");
  });

  it("builds ping URLs from a ping key and slug, and prefers a job's own check URL", () => {
    const config = loadConfig({
      ...VALID,
      BACKUP_HC_PING_KEY: "pingkey",
      BACKUP_HC_BASE_URL: "https://hc.example.com/ping",
      BACKUP_HC_VERIFY_SLUG: "weekly-verify",
      BACKUP_HC_CHECK_URL: "https://hc-ping.com/5f1c/",
    });
    expect(config.jobs.verify.healthcheck?.reveal()).toBe(
      "https://hc.example.com/ping/pingkey/weekly-verify",
    );
    expect(config.jobs.postgres.healthcheck?.reveal()).toBe(
      "https://hc.example.com/ping/pingkey/backup-agent-postgres",
    );
    expect(config.jobs.check.healthcheck?.reveal()).toBe("https://hc-ping.com/5f1c");
  });

  it("applies a per-job timeout over the global one", () => {
    const config = loadConfig({ ...VALID, BACKUP_JOB_TIMEOUT: "2h", BACKUP_VERIFY_TIMEOUT: "90m" });
    expect(config.jobs.verify.timeoutMs).toBe(90 * 60_000);
    expect(config.jobs.backup.timeoutMs).toBe(2 * 3600_000);
  });

  const malformed: [string, Record<string, string | undefined>, string, RegExp][] = [
    [
      "a repository path containing a newline",
      { ...VALID, RESTIC_REPOSITORY: "/srv/restic\n" },
      "RESTIC_REPOSITORY",
      /control characters.*"\/srv\/restic\\n"/,
    ],
    ["an empty required password", { ...VALID, RESTIC_PASSWORD: "" }, "RESTIC_PASSWORD", /must not be empty/],
    ["a missing repository", { RESTIC_PASSWORD: "x" }, "RESTIC_REPOSITORY", /required.*got nothing/],
    [
      "a secret and its _FILE both set",
      { ...VALID, RESTIC_PASSWORD_FILE: "/run/secrets/pw" },
      "RESTIC_PASSWORD",
      /either RESTIC_PASSWORD or RESTIC_PASSWORD_FILE/,
    ],
    [
      "an unreadable _FILE",
      { RESTIC_REPOSITORY: "/r", RESTIC_PASSWORD_FILE: "/nonexistent/pw" },
      "RESTIC_PASSWORD_FILE",
      /cannot read the file "\/nonexistent\/pw" \(ENOENT\)/,
    ],
    [
      "a bad cron line",
      { ...VALID, BACKUP_CRONTAB: file("bad-cron", "# ok\n61 * * * * check\n") },
      "BACKUP_CRONTAB",
      /line 2: invalid schedule "61 \* \* \* \*"/,
    ],
    [
      "an unknown job name",
      { ...VALID, BACKUP_CRONTAB: file("bad-job", "0 * * * * backpu\n") },
      "BACKUP_CRONTAB",
      /line 1: unknown job "backpu"/,
    ],
    [
      "a flag the job does not take",
      { ...VALID, BACKUP_CRONTAB: file("bad-flag", "0 * * * * check --prune\n") },
      "BACKUP_CRONTAB",
      /line 1: job "check" does not take "--prune"/,
    ],
    [
      "a missing schedule file",
      { ...VALID, BACKUP_CRONTAB: "/nonexistent/crontab" },
      "BACKUP_CRONTAB",
      /cannot read the schedule file.*"\/nonexistent\/crontab"/,
    ],
    [
      "an unknown time zone",
      { ...VALID, BACKUP_TIMEZONE: "Europe/Atlantis" },
      "BACKUP_TIMEZONE",
      /IANA time zone.*; got "Europe\/Atlantis"/,
    ],
    [
      "a bad listen address",
      { ...VALID, BACKUP_HTTP_LISTEN: "localhost" },
      "BACKUP_HTTP_LISTEN",
      /host:port.*got "localhost"/,
    ],
    ["a port out of range", { ...VALID, BACKUP_HTTP_LISTEN: ":70000" }, "BACKUP_HTTP_LISTEN", /got ":70000"/],
    [
      "a duration without a unit",
      { ...VALID, BACKUP_SHUTDOWN_GRACE: "30" },
      "BACKUP_SHUTDOWN_GRACE",
      /duration.*got "30"/,
    ],
    [
      "a per-job timeout that is not a duration",
      { ...VALID, BACKUP_CHECK_TIMEOUT: "soon" },
      "BACKUP_CHECK_TIMEOUT",
      /got "soon"/,
    ],
    [
      "an unknown log level",
      { ...VALID, BACKUP_LOG_LEVEL: "verbose" },
      "BACKUP_LOG_LEVEL",
      /expected one of trace, debug, info.*got "verbose"/,
    ],
    [
      "a check URL that is not http",
      { ...VALID, BACKUP_HC_BACKUP_URL: "hc-ping.com/uuid" },
      "BACKUP_HC_BACKUP_URL",
      /http:\/\/ or https:\/\/ URL; got <redacted, 16 characters>/,
    ],
    [
      "a retry count out of range",
      { ...VALID, BACKUP_HC_RETRIES: "-1" },
      "BACKUP_HC_RETRIES",
      /whole number from 0 to 10; got "-1"/,
    ],
    [
      "a misspelt variable",
      { ...VALID, BACKUP_TIMEZOME: "UTC" },
      "BACKUP_TIMEZOME",
      /not a variable backup-agent knows/,
    ],
    [
      "a non-boolean switch",
      { ...VALID, BACKUP_HC_CREATE: "maybe" },
      "BACKUP_HC_CREATE",
      /expected true or false; got "maybe"/,
    ],
  ];

  for (const [what, env, variable, message] of malformed) {
    it(`refuses ${what}, naming ${variable}`, () => {
      const found = problems(env);
      const mine = found.filter((p) => p.startsWith(`${variable}:`));
      expect(mine, found.join("\n")).toHaveLength(1);
      expect(mine[0]).toMatch(message);
    });
  }

  it("lists every problem at once", () => {
    const found = problems({
      RESTIC_PASSWORD: "",
      BACKUP_TIMEZONE: "Nowhere",
      BACKUP_LOG_FORMAT: "xml",
      BACKUP_CRONTAB: file("two-bad", "* * * * * nope\n@often check\n"),
    });
    expect(found.map((p) => p.split(":")[0])).toEqual(
      expect.arrayContaining([
        "RESTIC_REPOSITORY",
        "RESTIC_PASSWORD",
        "BACKUP_TIMEZONE",
        "BACKUP_LOG_FORMAT",
        "BACKUP_CRONTAB",
      ]),
    );
    expect(found.filter((p) => p.startsWith("BACKUP_CRONTAB"))).toHaveLength(2);
  });

  it("never shows a secret's value in a problem", () => {
    const found = problems({
      ...VALID,
      RESTIC_PASSWORD_FILE: "/x",
      BACKUP_HC_PING_KEY: "",
      BACKUP_HC_CHECK_URL: "ftp://sekrit-uuid",
    });
    const text = found.join("\n");
    expect(text).not.toContain("correct horse battery");
    expect(text).not.toContain("sekrit-uuid");
    expect(text).toContain("<redacted, 21 characters>");
  });
});

describe("check-config", () => {
  it("prints the resolved config with every secret redacted", () => {
    const config = loadConfig({
      RESTIC_REPOSITORY: "rest:https://backup:repo-pass-42@offsite.example.com/host1",
      RESTIC_PASSWORD_FILE: file("pw2", "the-repo-password\n"),
      BACKUP_HC_PING_KEY: "ping-key-9f8e7d",
      BACKUP_HC_VERIFY_URL: "https://hc-ping.com/0b5c-uuid-secret",
    });
    let text = "";
    const out = new Writable({
      write(chunk, _e, done) {
        text += chunk;
        done();
      },
    });
    expect(checkConfigCommand(config, out)).toBe(0);
    for (const secret of ["the-repo-password", "repo-pass-42", "ping-key-9f8e7d", "uuid-secret"]) {
      expect(text).not.toContain(secret);
    }
    const shown = JSON.parse(text);
    expect(shown.restic.repository).toBe("rest:https://backup:[redacted]@offsite.example.com/host1");
    expect(shown.restic.password).toBe("[redacted]");
    expect(shown.jobs.verify.healthcheck).toBe("[redacted]");
    expect(shown.schedule.entries).toHaveLength(6);
  });
});
