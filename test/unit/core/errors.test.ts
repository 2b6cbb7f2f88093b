import { describe, expect, it } from "vitest";
import { AggregateBackupError, BackupError, ConfigError, exitCodeFor, renderError, UsageError } from "../../../src/core/errors.js";

describe("renderError", () => {
  it("says the message, then each cause the text does not already say, once", () => {
    const restic = new Error("restic backup: wrong repository password (exit code 12)");
    const store = new BackupError("postgres__db__app.dump", { cause: restic });
    const target = new BackupError('postgres target "db": app', { cause: store });
    expect(renderError(target)).toBe('postgres target "db": app: postgres__db__app.dump: restic backup: wrong repository password (exit code 12)');
    const quoting = new BackupError(`volume "v": ${restic.message}`, { cause: restic });
    expect(renderError(quoting).split("exit code 12")).toHaveLength(2);
  });

  it("lists each part of an aggregate on its own line, with its own causes", () => {
    const error = new AggregateBackupError("2 of 3 PostgreSQL target(s) failed", [
      new BackupError('postgres target "a": shop', { cause: new Error("pg_dump exited 1: connection lost") }),
      new BackupError('postgres target "b" is expected but no labelled container exists'),
    ]);
    expect(renderError(error)).toBe(
      '2 of 3 PostgreSQL target(s) failed\n  - postgres target "a": shop: pg_dump exited 1: connection lost\n  - postgres target "b" is expected but no labelled container exists',
    );
  });

  it("renders what is not an Error as text", () => {
    expect(renderError("plain")).toBe("plain");
  });
});

describe("exitCodeFor", () => {
  it("decides 78 for configuration, 64 for usage and 1 for anything else", () => {
    expect(exitCodeFor(new ConfigError(["x"]))).toBe(78);
    expect(exitCodeFor(new UsageError("run: unknown job"))).toBe(64);
    expect(exitCodeFor(new BackupError("restic failed", { exitCode: 64 }))).toBe(1);
    expect(exitCodeFor(new Error("boom"))).toBe(1);
  });
});
