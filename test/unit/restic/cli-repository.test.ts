import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Secret } from "../../../src/config/secret.js";
import { ResticCredentialsError, ResticNoRepositoryError, ResticWrongPasswordError, resticError } from "../../../src/restic/errors.js";
import { ResticCli } from "../../../src/restic/cli-repository.js";

const FAKE = join(import.meta.dirname, "../../../test/fixtures/fake-restic.sh");

function repository(mode: string) {
  const log = join(mkdtempSync(join(tmpdir(), "fake-restic-")), "calls");
  process.env.FAKE_RESTIC_LOG = log;
  process.env.FAKE_RESTIC_MODE = mode;
  const repo = new ResticCli({ binary: FAKE, repository: new Secret("/srv/repo"), password: new Secret("pw"), host: "h", display: "/srv/repo" });
  return { repo, calls: () => readFileSync(log, "utf8").trim().split("\n") };
}

describe("restic exit codes", () => {
  it("maps each documented exit code to its own error type", () => {
    expect(resticError("backup", 3, "").name).toBe("ResticPartialError");
    expect(resticError("backup", 10, "")).toBeInstanceOf(ResticNoRepositoryError);
    expect(resticError("backup", 11, "").name).toBe("ResticLockedError");
    expect(resticError("backup", 12, "")).toBeInstanceOf(ResticWrongPasswordError);
    expect(resticError("backup", 130, "").name).toBe("ResticInterruptedError");
    const other = resticError("backup", 1, "Fatal: boom");
    expect(other.name).toBe("ResticError");
    expect(other.message).toBe("restic backup: failed (exit code 1): Fatal: boom");
    expect(other.exitCode).toBe(1);
  });

  it("initialises a repository that does not exist, then checks it", async () => {
    const { repo, calls } = repository("missing");
    expect(await repo.ensureInitialised(AbortSignal.timeout(10_000))).toBe(true);
    await repo.check(undefined, AbortSignal.timeout(10_000));
    expect(calls()).toEqual(["cat config --no-lock --quiet", "init --quiet", "check --retry-lock 5m --json"]);
    expect(await repo.ensureInitialised(AbortSignal.timeout(10_000))).toBe(false);
  });

  it("never initialises when the password is wrong", async () => {
    const { repo, calls } = repository("wrong-password");
    const failure = repo.ensureInitialised(AbortSignal.timeout(10_000));
    await expect(failure).rejects.toBeInstanceOf(ResticWrongPasswordError);
    await expect(failure).rejects.toThrow(
      "restic cat: wrong repository password (exit code 12): Fatal: wrong password or no key found",
    );
    expect(calls()).toEqual(["cat config --no-lock --quiet"]);
  });
});

describe("backend credentials", () => {
  it("gives a repository's own credentials to its restic only, and never the agent's BACKUP_* settings", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: "local-key-id", AWS_SECRET_ACCESS_KEY: "local-secret", BACKUP_OFFSITE_PASSWORD: "offsite-pw" });
    try {
      const { calls } = repository("env");
      const local = new ResticCli({ binary: FAKE, repository: new Secret("/srv/repo"), password: new Secret("pw"), host: "h", display: "/srv/repo" });
      await local.unlock(AbortSignal.timeout(10_000));
      const offsite = new ResticCli({
        binary: FAKE,
        repository: new Secret("s3:http://127.0.0.1:9/bucket"),
        password: new Secret("pw"),
        host: "h",
        display: "s3:http://127.0.0.1:9/bucket",
        credentials: { AWS_ACCESS_KEY_ID: new Secret("offsite-key-id"), AWS_SECRET_ACCESS_KEY: new Secret("offsite-secret") },
      });
      await offsite.unlock(AbortSignal.timeout(10_000));
      expect(calls().filter((c) => !c.startsWith("AWS_") || /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY)=/.test(c))).toEqual([
        "unlock --quiet",
        "AWS_ACCESS_KEY_ID=local-key-id",
        "AWS_SECRET_ACCESS_KEY=local-secret",
        "unlock --quiet",
        "AWS_ACCESS_KEY_ID=offsite-key-id",
        "AWS_SECRET_ACCESS_KEY=offsite-secret",
      ]);
    } finally {
      process.env = saved;
    }
  });

  it("initialises at once when the S3 bucket does not exist yet, instead of retrying for minutes", async () => {
    const { repo, calls } = repository("no-bucket");
    expect(await repo.ensureInitialised(AbortSignal.timeout(50_000))).toBe(true);
    expect(calls()).toEqual(["cat config --no-lock --quiet", "init --quiet"]);
  });

  it("fails at once, naming the refusal, when the storage refuses the key instead of retrying for minutes", async () => {
    const { repo } = repository("refused");
    const failure = repo.snapshots(AbortSignal.timeout(50_000));
    await expect(failure).rejects.toBeInstanceOf(ResticCredentialsError);
    await expect(failure).rejects.toThrow(
      "restic snapshots: the storage refused the credentials: Stat: The request signature we calculated does not match the signature you provided.",
    );
  });
});
