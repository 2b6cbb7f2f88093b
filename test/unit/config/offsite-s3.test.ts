import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeConfig } from "../../../src/cli/check-config.js";
import { loadConfig } from "../../../src/config/load.js";
import { redact } from "../../../src/config/redact.js";
import { ConfigError } from "../../../src/core/errors.js";

const dir = mkdtempSync(join(tmpdir(), "backup-agent-s3-"));
const file = (name: string, content: string) => {
  writeFileSync(join(dir, name), content);
  return join(dir, name);
};
const BASE = { RESTIC_REPOSITORY: "/srv/restic", RESTIC_PASSWORD: "local-password", BACKUP_OFFSITE_PASSWORD: "offsite-password" };
const S3 = { ...BASE, BACKUP_OFFSITE_REPOSITORY: "s3:https://s3.eu-central-1.amazonaws.com/shop-backups/host1" };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    return [...(error as ConfigError).problems];
  }
  throw new Error("the config was accepted");
}

describe("an S3 offsite repository", () => {
  it("reads its keys from files and hands them on under restic's own names", () => {
    const config = loadConfig({
      ...S3,
      BACKUP_OFFSITE_AWS_ACCESS_KEY_ID_FILE: file("id", "AKIAEXAMPLEKEYID\n"),
      BACKUP_OFFSITE_AWS_SECRET_ACCESS_KEY_FILE: file("secret", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"),
      BACKUP_OFFSITE_AWS_DEFAULT_REGION: "eu-central-1",
    });
    const credentials = config.offsite?.credentials ?? {};
    expect(Object.fromEntries(Object.entries(credentials).map(([k, v]) => [k, v.reveal()]))).toEqual({
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLEKEYID",
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      AWS_DEFAULT_REGION: "eu-central-1",
    });
    const shown = JSON.stringify(describeConfig(config));
    expect(shown).not.toContain("AKIAEXAMPLEKEYID");
    expect(shown).not.toContain("EXAMPLEKEY");
    expect(describeConfig(config).offsite).toMatchObject({ credentials: { AWS_ACCESS_KEY_ID: "[redacted]", AWS_SECRET_ACCESS_KEY: "[redacted]", AWS_DEFAULT_REGION: "eu-central-1" } });
  });

  it("refuses a key id without its secret, and S3 keys for an offsite that is not s3:, without showing them", () => {
    expect(problems({ ...S3, BACKUP_OFFSITE_AWS_ACCESS_KEY_ID: "AKIAONLY" })).toEqual([
      "BACKUP_OFFSITE_AWS_ACCESS_KEY_ID and BACKUP_OFFSITE_AWS_SECRET_ACCESS_KEY: set both (or their _FILE) or neither",
    ]);
    const found = problems({ ...BASE, BACKUP_OFFSITE_REPOSITORY: "rest:https://u:pw-in-url@host/", BACKUP_OFFSITE_AWS_ACCESS_KEY_ID: "AKIAONLY", BACKUP_OFFSITE_AWS_SECRET_ACCESS_KEY: "s3cr3t-value" });
    expect(found).toEqual([
      'BACKUP_OFFSITE_AWS_ACCESS_KEY_ID, BACKUP_OFFSITE_AWS_SECRET_ACCESS_KEY: only for an s3: offsite repository; got BACKUP_OFFSITE_REPOSITORY="rest:https://u:[redacted]@host/"',
    ]);
  });

  it("has no credentials of its own when none are set (restic's own AWS_* then apply)", () => {
    expect(loadConfig(S3).offsite?.credentials).toBeUndefined();
  });
});

describe("the one redaction", () => {
  it("hides every password, key and check URL, and the password inside a repository URL, never the region", () => {
    const config = loadConfig({
      ...S3,
      RESTIC_REPOSITORY: "rest:https://backup:url-password@host/",
      BACKUP_OFFSITE_AWS_ACCESS_KEY_ID: "AKIAEXAMPLEKEYID",
      BACKUP_OFFSITE_AWS_SECRET_ACCESS_KEY: "secret-access-key",
      BACKUP_OFFSITE_AWS_DEFAULT_REGION: "eu-central-1",
      BACKUP_MEILI_API_KEY: "meili-master-key",
      BACKUP_HC_BACKUP_URL: "https://hc-ping.com/uuid-of-backup",
    });
    expect(config.offsite?.credentials).toBeDefined();
    const secrets = ["local-password", "offsite-password", "AKIAEXAMPLEKEYID", "secret-access-key", "meili-master-key", "https://hc-ping.com/uuid-of-backup", "url-password"];
    const shown = redact(`${secrets.join(" | ")} | region eu-central-1`);
    for (const v of secrets) expect(shown).not.toContain(v);
    expect(shown).toContain("region eu-central-1");
  });
});
