import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Secret } from "../../../src/config/secret.js";
import { ResticNoRepositoryError, ResticWrongPasswordError, resticError } from "../../../src/restic/errors.js";
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
