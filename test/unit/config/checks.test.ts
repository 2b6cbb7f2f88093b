// What loadConfig refuses at start so nothing fails only later, and what it warns about as doing nothing.
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { TARGET_KINDS } from "../../../src/config/schema.js";
import { ConfigError } from "../../../src/core/errors.js";
import { buildKinds } from "../../../src/targets/registry.js";
import { FakeDocker } from "../../support/fake-docker.js";

const dir = mkdtempSync(join(tmpdir(), "backup-agent-checks-"));
const file = (name: string, content: string, mode = 0o644) => {
  writeFileSync(join(dir, name), content);
  chmodSync(join(dir, name), mode);
  return join(dir, name);
};
const VALID = { RESTIC_REPOSITORY: "/srv/restic", RESTIC_PASSWORD: "correct horse battery", RESTIC_BINARY: process.execPath };

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig({ ...VALID, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("the config was accepted");
}

describe("checks across variables", () => {
  it("refuses a restic binary that is missing, not executable, or not on PATH, saying why", () => {
    expect(problems({ RESTIC_BINARY: "/nonexistent/restic" })).toEqual([
      'RESTIC_BINARY: expected the restic executable (0.18 or newer); got "/nonexistent/restic", which does not exist (ENOENT)',
    ]);
    expect(problems({ RESTIC_BINARY: file("not-exec", "#!/bin/sh\n") })[0]).toMatch(/which is not executable \(EACCES\)$/);
    expect(problems({ RESTIC_BINARY: dir })[0]).toMatch(/which is not a file$/);
    expect(problems({ RESTIC_BINARY: "no-such-restic", PATH: "/usr/bin:/bin" })[0]).toMatch(/which is not found on PATH \(\/usr\/bin:\/bin\) \(ENOENT\)$/);
  });

  it("refuses a WARNING threshold at or above the CRITICAL one, and an offsite copy onto the local repository", () => {
    expect(problems({ BACKUP_STATUS_WARN_AFTER: "50h", BACKUP_STATUS_CRITICAL_AFTER: "25h" })).toEqual([
      'BACKUP_STATUS_WARN_AFTER: expected less than BACKUP_STATUS_CRITICAL_AFTER (25h), or WARNING could never show; got "50h"',
    ]);
    expect(problems({ BACKUP_OFFSITE_REPOSITORY: "local:/srv/restic/", BACKUP_OFFSITE_PASSWORD: "other" })[0]).toMatch(
      /^BACKUP_OFFSITE_REPOSITORY: expected a repository other than RESTIC_REPOSITORY/,
    );
  });

  it("refuses expected targets that are not kind/name with a known kind, suggesting the kind meant", () => {
    expect(problems({ BACKUP_EXPECTED_TARGETS: "postgress/db, db, volume/a b, exec/x,exec/x" })).toEqual([
      'BACKUP_EXPECTED_TARGETS: expected kind/name with a kind of postgres, meilisearch, exec, volume (e.g. "postgres/db"); did you mean "postgres/db"?; got "postgress/db"',
      'BACKUP_EXPECTED_TARGETS: expected kind/name with a kind of postgres, meilisearch, exec, volume (e.g. "postgres/db"); the kind is missing; got "db"',
      'BACKUP_EXPECTED_TARGETS: expected kind/name with a kind of postgres, meilisearch, exec, volume (e.g. "postgres/db"), the name a Compose service or volume name; got "volume/a b"',
      'BACKUP_EXPECTED_TARGETS: expected each target once; got "exec/x" twice',
    ]);
    expect(loadConfig({ ...VALID, BACKUP_EXPECTED_TARGETS: "volume/data, exec/cache" }).targets.expected).toEqual(["volume/data", "exec/cache"]);
  });

  it("knows exactly the kinds the registry builds", () => {
    const kinds = buildKinds({ engine: new FakeDocker([], () => ({ exitCode: 0 })), sandbox: new FakeDocker([], () => ({ exitCode: 0 })), hookTimeoutMs: 1, walMaxRetained: "8GB", meilisearch: { apiKey: undefined, pollIntervalMs: 1, timeoutMs: 1 }, volumes: { root: "/v", names: [] }, helper: async () => undefined });
    expect([...TARGET_KINDS].sort()).toEqual(kinds.map((k) => k.name).sort());
  });

  it("refuses paths with whitespace at either end and a relative volume root", () => {
    expect(problems({ RESTIC_REPOSITORY: "/srv/restic " })).toEqual(['RESTIC_REPOSITORY: must not start or end with whitespace; got "/srv/restic "']);
    expect(problems({ BACKUP_VOLUMES_ROOT: "volumes" })).toEqual(['BACKUP_VOLUMES_ROOT: expected an absolute path such as "/volumes"; got "volumes"']);
  });
});

describe("time zones", () => {
  it("blames a bad TZ on TZ, and takes the C library's :path and :name forms", () => {
    expect(problems({ TZ: "Mars/Olympus" })[0]).toMatch(/^TZ: expected an IANA time zone .*; got "Mars\/Olympus"$/);
    expect(loadConfig({ ...VALID, TZ: ":/etc/localtime" }).timezone).toMatch(/^[A-Za-z_]+(\/[A-Za-z_+-]+)*$/);
    expect(loadConfig({ ...VALID, TZ: ":Europe/Berlin" }).timezone).toBe("Europe/Berlin");
    expect(loadConfig({ ...VALID, TZ: "Mars/Olympus", BACKUP_TIMEZONE: "UTC" }).timezone).toBe("UTC");
    expect(problems({ BACKUP_TIMEZONE: "Nowhere", TZ: "Mars/Olympus" }).map((p) => p.split(":")[0])).toEqual(["BACKUP_TIMEZONE"]);
  });
});

describe("_FILE", () => {
  it("names the file when it is empty, and reads it as restic does (surrounding whitespace trimmed)", () => {
    const empty = file("empty-pw", " \n");
    expect(problems({ RESTIC_PASSWORD: undefined, RESTIC_PASSWORD_FILE: empty })).toContain(
      `RESTIC_PASSWORD_FILE: the file "${empty}" is empty (or only whitespace), expected it to hold RESTIC_PASSWORD`,
    );
    const config = loadConfig({ RESTIC_REPOSITORY_FILE: file("repo", " /srv/restic \n"), RESTIC_PASSWORD_FILE: file("pw", "pw x \t\r\n"), RESTIC_BINARY: process.execPath });
    expect([config.restic.repositoryDisplay, config.restic.password.reveal()]).toEqual(["/srv/restic", "pw x"]);
  });

  it("refuses a _FILE path with whitespace at an end, and a value from a file with where it was read", () => {
    expect(problems({ RESTIC_PASSWORD: undefined, RESTIC_PASSWORD_FILE: "/run/secrets/pw " })).toContain(
      'RESTIC_PASSWORD_FILE: expected the path of a file, with no control characters or whitespace at either end; got "/run/secrets/pw "',
    );
    const path = file("repo-tab", "/srv/res\ttic\n");
    expect(problems({ RESTIC_REPOSITORY: undefined, RESTIC_REPOSITORY_FILE: path }).find((p) => p.startsWith("RESTIC_REPOSITORY:"))).toBe(
      `RESTIC_REPOSITORY: must not contain control characters (newline, tab, …); got "/srv/res\\ttic" (read from "${path}")`,
    );
  });
});

describe("warnings and settings", () => {
  it("warns, naming them, about settings that would do nothing", () => {
    const { warnings } = loadConfig({
      ...VALID,
      BACKUP_HC_CREATE: "true",
      BACKUP_HC_VERIFY_SLUG: "weekly",
      BACKUP_OFFSITE_KEEP_DAILY: "7",
      backup_keep_daily: "7",
      RESTIC_PASSWORD_COMMAND: "cat /pw",
    });
    expect(warnings).toEqual(
      expect.arrayContaining([
        "BACKUP_HC_CREATE does nothing without BACKUP_HC_PING_KEY",
        "BACKUP_HC_VERIFY_SLUG does nothing without BACKUP_HC_PING_KEY",
        "BACKUP_OFFSITE_KEEP_DAILY does nothing without BACKUP_OFFSITE_REPOSITORY",
        "backup_keep_daily is ignored: variable names are upper case (BACKUP_KEEP_DAILY)",
        expect.stringMatching(/^RESTIC_PASSWORD_COMMAND is ignored: backup-agent passes only RESTIC_CACHE_DIR/),
      ]),
    );
  });

  it("lists every variable with its value and where it came from, secrets by their length", () => {
    const config = loadConfig({ ...VALID, RESTIC_REPOSITORY: "rest:https://u:repo-secret@h/", TZ: "Europe/Paris" });
    const by = Object.fromEntries(config.settings.map((s) => [s.name, s]));
    expect(config.settings).toHaveLength(Object.keys(by).length);
    expect(by.RESTIC_PASSWORD).toEqual({ name: "RESTIC_PASSWORD", value: "<redacted, 21 characters>", from: "env" });
    expect(by.RESTIC_REPOSITORY?.value).toBe("rest:https://u:[redacted]@h/");
    expect(by.BACKUP_TIMEZONE).toEqual({ name: "BACKUP_TIMEZONE", value: "Europe/Paris", from: "TZ" });
    expect(by.BACKUP_CONCURRENCY).toEqual({ name: "BACKUP_CONCURRENCY", value: "2", from: "default" });
    expect(by.BACKUP_EXPECTED_TARGETS).toEqual({ name: "BACKUP_EXPECTED_TARGETS", value: null, from: "unset" });
  });
});
