// Bad command lines: each refused with exit 64 naming the argument and the usage, before any
// configuration is read; and what reaches the agent from outside at run time, said clearly.
import type { BadInput } from "./bad-input.js";

const usage = (what: string, args: string[], ...says: (string | RegExp)[]): BadInput => ({ what, args, exit: 64, says });

const AT = "expects an RFC 3339 date-time with a time zone, such as 2026-05-01T03:00:00Z";
const NOT_RESTIC = { restic: { data: "#!/nonexistent/interpreter\n", mode: 0o755 } };

export const CLI_CASES: Record<string, BadInput[]> = {
  arguments: [
    usage("status with an unknown first argument", ["status", "--verbose"], 'status: unexpected argument "--verbose" (usage: status [--json] [--standalone | --url URL])'),
    usage("status with an unknown argument after a good one", ["status", "--json", "--verbose"], 'status: unexpected argument "--verbose"'),
    usage("status --url without a value", ["status", "--url"], "status: --url expects the daemon's http:// or https:// address", "got nothing"),
    usage("status --url that is not http", ["status", "--url", "ftp://127.0.0.1:9180"], 'got "ftp://127.0.0.1:9180"'),
    usage("status --standalone and --url together", ["status", "--standalone", "--url", "http://127.0.0.1:9180"], "status: give --standalone or --url, not both"),
    { ...usage("status --url with a password and no scheme", ["status", "--url", "user:Zq7-cli-secret-1@host:9180"], "status: --url expects"), secrets: ["Zq7-cli-secret-1"] },
    usage("check-config with an argument", ["check-config", "--strict"], 'check-config: unexpected argument "--strict" (usage: backup-agent check-config, with no arguments)'),
    usage("plan with an unknown argument", ["plan", "--bogus"], 'plan: unexpected argument "--bogus" (usage: plan [--json])'),
    usage("plan with an unknown argument after --json", ["plan", "--json", "--all"], 'plan: unexpected argument "--all"'),
    usage("daemon with an argument", ["daemon", "--foreground"], 'daemon: unexpected argument "--foreground"'),
    usage("healthcheck with an argument", ["healthcheck", "--verbose"], 'healthcheck: unexpected argument "--verbose"'),
    usage("version with an argument", ["version", "--short"], 'version: unexpected argument "--short"'),
    usage("snapshots with an unknown argument", ["snapshots", "--bogus"], 'snapshots: unexpected argument "--bogus" (usage: snapshots [--target NAME] [--json])'),
    usage("snapshots --target without a name", ["snapshots", "--target"], 'snapshots: unexpected argument "--target"'),
    usage("an unknown command", ["bakcup"], 'unknown command "bakcup"', "Usage:"),
    { ...usage("a bad command line even when the configuration is bad too", ["status", "--verbose"], 'status: unexpected argument "--verbose"'), env: { BACKUP_JOB_TIMEOUT: "25d" } },
  ],
  run: [
    usage("run without a job", ["run"], "run: which job? No job was named (usage: run <job> [flags], with a job of postgres, backup, offsite, verify, check, wal, basebackup)"),
    usage("run with an unknown job", ["run", "bakcup"], 'run: unknown job "bakcup"'),
    usage("run with an unknown flag", ["run", "backup", "--frobnicate"], 'run: job "backup" does not take "--frobnicate" (expected --prune, --check)'),
    usage("run with a flag the job does not take", ["run", "check", "--prune"], 'run: job "check" does not take "--prune" (expected no flags)'),
    usage("run with a flag without dashes", ["run", "postgres", "check"], 'run: job "postgres" does not take "check"'),
  ],
  restore: [
    usage("restore --at on a date that does not exist", ["restore", "--at", "2026-02-30T00:00:00Z", "--yes"], `restore: --at ${AT}`, "2026-02-30 00:00:00 is not a time that exists", 'got "2026-02-30T00:00:00Z"'),
    usage("restore --at 31 April", ["restore", "postgres", "db", "--at", "2026-04-31T12:00:00Z"], "is not a time that exists"),
    usage("restore --at a bare number", ["restore", "--at", "1"], `restore: --at ${AT}`, 'got "1"'),
    usage("restore --at a date without a time", ["restore", "volume", "v", "--to", "/tmp/x", "--at", "2026-05-01"], 'got "2026-05-01"'),
    usage("restore --at a time without a zone", ["restore", "all", "--at", "2026-05-01T03:00:00"], `--at ${AT}`),
    usage("restore --at an hour that does not exist", ["restore", "--at", "2026-05-01T24:00:00Z"], "is not a time that exists"),
    usage("restore --at in the future", ["restore", "all", "--at", "2999-01-01T00:00:00Z"], "--at expects a time in the past", "leave --at out for the newest backup"),
    usage("restore without anything", ["restore"], 'restore: unknown kind "" (expected postgres, volume or all)'),
    usage("restore of an unknown kind", ["restore", "mysql", "db"], 'restore: unknown kind "mysql"'),
    usage("restore postgres without a service", ["restore", "postgres"], "restore postgres: the service name is missing"),
    usage("restore with both --snapshot and --at", ["restore", "postgres", "db", "--snapshot", "abcd1234", "--at", "2026-05-01T03:00:00Z"], "restore: give --snapshot or --at, not both"),
    usage("restore volume without a destination", ["restore", "volume", "v"], "restore volume: give exactly one of --to DIR"),
    usage("restore volume with two destinations", ["restore", "volume", "v", "--to", "/tmp/x", "--into-volume"], "give exactly one of"),
    usage("restore --from a repository that does not exist", ["restore", "all", "--from", "usb-stick", "--yes"], "restore: --from expects local or offsite", 'got "usb-stick"'),
    usage("restore postgres with a volume's flag", ["restore", "postgres", "db", "--to", "/x"], 'restore: unexpected argument "--to"'),
    usage("restore --database without a value", ["restore", "postgres", "db", "--database"], "restore: --database needs a value"),
  ],
  outside: [
    {
      what: "status --url with credentials, asked where nothing answers",
      args: ["status", "--url", "http://ops:Zq7-cli-secret-2@127.0.0.1:47/"],
      exit: 1,
      says: ["status: http://127.0.0.1:47/status", "ECONNREFUSED"],
      secrets: ["Zq7-cli-secret-2"],
    },
    {
      what: "status --url with an empty user's password",
      args: ["status", "--url", "http://:Zq7-cli-secret-3@127.0.0.1:47"],
      exit: 1,
      says: ["ECONNREFUSED"],
      secrets: ["Zq7-cli-secret-3"],
    },
    {
      what: "a restic that cannot be started at run time: the ENOENT is in the message",
      env: { RESTIC_BINARY: "{dir}/restic", BACKUP_HTTP_LISTEN: "off" },
      files: NOT_RESTIC,
      args: ["run", "check"],
      exit: 1,
      says: ["check failed: restic cat: could not be started: spawn", "ENOENT"],
    },
    {
      what: "a restic that cannot be started, in pretty logs: still no stack trace",
      env: { RESTIC_BINARY: "{dir}/restic", BACKUP_LOG_FORMAT: "pretty", RESTIC_REPOSITORY: "rest:https://u:Zq7-cli-secret-4@127.0.0.1:47/" },
      files: NOT_RESTIC,
      args: ["run", "check"],
      exit: 1,
      says: ["restic cat: could not be started", "ENOENT"],
      secrets: ["Zq7-cli-secret-4"],
    },
  ],
};
