// Command lines are checked before any configuration: a wrong argument is a UsageError naming it.
import { describe, expect, it } from "vitest";
import { noArguments, parsePlanArgs, parseRunArgs, parseSnapshotsArgs, parseStatusArgs } from "../../../src/cli/args.js";
import { UsageError } from "../../../src/core/errors.js";

const usage = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("accepted");
};

describe("command lines", () => {
  it("refuses an unknown first argument of every command, not only later ones", () => {
    expect(usage(() => parseStatusArgs(["--verbose"]))).toBe('status: unexpected argument "--verbose" (usage: status [--json] [--standalone | --url URL])');
    expect(usage(() => parseStatusArgs(["--json", "--verbose"]))).toContain('"--verbose"');
    expect(usage(() => parsePlanArgs(["--bogus"]))).toBe('plan: unexpected argument "--bogus" (usage: plan [--json])');
    expect(usage(() => noArguments("check-config", ["--strict"]))).toBe('check-config: unexpected argument "--strict" (usage: backup-agent check-config, with no arguments)');
    expect(usage(() => parseSnapshotsArgs(["--target"]))).toContain('"--target"');
  });

  it("says so clearly when run names no job, an unknown one, or a flag the job does not take", () => {
    expect(usage(() => parseRunArgs([]))).toBe("run: which job? No job was named (usage: run <job> [flags], with a job of postgres, backup, offsite, verify, check, wal, basebackup)");
    expect(usage(() => parseRunArgs(["bakcup"]))).toContain('run: unknown job "bakcup"');
    expect(usage(() => parseRunArgs(["check", "--prune"]))).toBe('run: job "check" does not take "--prune" (expected no flags)');
    expect(parseRunArgs(["backup", "--prune", "--check"])).toEqual({ job: "backup", flags: new Set(["prune", "check"]) });
  });

  it("moves credentials of status --url into a header, since fetch refuses them in a URL", () => {
    expect(parseStatusArgs(["--url", "http://ops:p%40ss@127.0.0.1:9180/"])).toEqual({
      json: false,
      standalone: false,
      url: "http://127.0.0.1:9180",
      authorization: `Basic ${Buffer.from("ops:p@ss").toString("base64")}`,
    });
    expect(usage(() => parseStatusArgs(["--url", "ftp://host"]))).toContain("--url expects the daemon's http:// or https:// address");
    expect(usage(() => parseStatusArgs(["--url"]))).toContain("got nothing");
    expect(usage(() => parseStatusArgs(["--standalone", "--url", "http://h:1"]))).toContain("not both");
  });
});
