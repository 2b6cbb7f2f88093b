#!/usr/bin/env node
// argv -> command. The only process.exit of the program.
import { buildApp, VERSION } from "./cli/app.js";
import { noArguments, parsePlanArgs, parseRunArgs, parseSnapshotsArgs, parseStatusArgs } from "./cli/args.js";
import { checkConfigCommand } from "./cli/check-config.js";
import { daemonCommand } from "./cli/daemon.js";
import { healthcheckCommand } from "./cli/healthcheck.js";
import { planCommand } from "./cli/plan.js";
import { restoreCommand } from "./cli/restore.js";
import { parseRestoreArgs } from "./cli/restore-args.js";
import { runCommand } from "./cli/run.js";
import { snapshotsCommand } from "./cli/snapshots.js";
import { statusCommand } from "./cli/status.js";
import { loadConfig } from "./config/load.js";
import { redactWrites } from "./config/redact.js";
import { ConfigError, exitCodeFor, renderError, UsageError } from "./core/errors.js";
import { JOB_SPECS } from "./core/job.js";

const USAGE = `backup-agent ${VERSION}: backups of a Docker Compose host into restic

Usage:
  backup-agent daemon                 run the schedule; serve /metrics and /healthz
  backup-agent run <job> [flags]      run one job now (${Object.keys(JOB_SPECS).join(", ")})
  backup-agent status [--json] [--standalone | --url URL]
                                      GOOD / WARNING / CRITICAL (exit 0 / 1 / 2), from the daemon or the repository
  backup-agent plan [--json]          what discovery finds and a backup would store; changes nothing
  backup-agent snapshots [--target NAME] [--json]
                                      what the repository holds, oldest first
  backup-agent restore postgres <service> [--database D] [--snapshot ID | --at TIME] [--yes]
                                      pg_restore --clean --if-exists into the running container
  backup-agent restore volume <name> [--snapshot ID | --at TIME] (--to DIR | --into-volume) [--yes]
                                      into a new or empty DIR, or replace the live volume's contents
  backup-agent restore all --at TIME [--yes]
                                      every database and volume to its newest backup at or before TIME
                                      (TIME: an RFC 3339 date-time in the past, e.g. 2026-05-01T03:00:00Z)
  backup-agent check-config           print the resolved configuration, secrets redacted
  backup-agent healthcheck            exit 0 when the running daemon's /healthz answers 200
  backup-agent version

Configuration comes from environment variables; see the README.
Exit codes: 0 ok, 1 a run failed, 64 bad usage, 78 bad configuration.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv.length ? argv : ["daemon"];
  // Arguments first: a wrong command line is a usage error (64) whatever the configuration says.
  switch (command) {
    case "help":
    case "--help":
    case "-h":
      noArguments(command, rest);
      process.stdout.write(USAGE);
      return 0;
    case "version":
    case "--version":
      noArguments(command, rest);
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case "check-config":
      noArguments(command, rest);
      return checkConfigCommand(loadConfig());
    case "healthcheck":
      noArguments(command, rest);
      return healthcheckCommand();
    case "plan": {
      const args = parsePlanArgs(rest);
      return planCommand(buildApp(loadConfig()).deps, args);
    }
    case "daemon":
      noArguments(command, rest);
      return daemonCommand(buildApp(loadConfig()));
    case "run": {
      const args = parseRunArgs(rest);
      return runCommand(buildApp(loadConfig()), args);
    }
    case "status": {
      const args = parseStatusArgs(rest);
      return statusCommand(buildApp(loadConfig()), args);
    }
    case "snapshots": {
      const args = parseSnapshotsArgs(rest);
      return snapshotsCommand(buildApp(loadConfig()), args);
    }
    case "restore": {
      const args = parseRestoreArgs(rest);
      if (typeof args === "string") throw new UsageError(args);
      return restoreCommand(buildApp(loadConfig()), args);
    }
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

/** What the user reads when a command fails: the error and its causes, redacted, never a stack trace. */
function fail(error: unknown): never {
  process.stderr.write(`backup-agent: ${error instanceof ConfigError ? error.message : renderError(error)}\n`);
  process.exit(exitCodeFor(error));
}

// Every byte this process writes to stdout and stderr passes the one redaction first.
redactWrites(process.stdout);
redactWrites(process.stderr);
process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);
main(process.argv.slice(2)).then((code) => process.exit(code), fail);
