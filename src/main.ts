#!/usr/bin/env node
// argv -> command. The only process.exit of the program.
import { noArguments, parsePlanArgs, parseRunArgs, parseSnapshotsArgs, parseStatusArgs } from "./cli/args.js";
import { parseRestoreArgs } from "./cli/restore-args.js";
import { VERSION } from "./cli/version.js";
import { redactWrites } from "./config/redact.js";
import { deferRequire } from "./core/deferred-require.js";
import { ConfigError, exitCodeFor, renderError, UsageError } from "./core/errors.js";
import { JOB_SPECS } from "./core/job.js";

const USAGE = `backup-agent ${VERSION}: backups of a Docker Compose host into restic

Usage:
  backup-agent daemon                 run the schedule; serve the status page, /metrics, /healthz and /status
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
  // Each command's modules load only when it runs: `healthcheck` and `check-config` start fast.
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
    case "check-config": {
      noArguments(command, rest);
      const { checkConfigCommand } = await import("./cli/check-config.js");
      return checkConfigCommand(await config());
    }
    case "healthcheck": {
      noArguments(command, rest);
      const { healthcheckCommand } = await import("./cli/healthcheck.js");
      return healthcheckCommand();
    }
    case "plan": {
      const args = parsePlanArgs(rest);
      const { planCommand } = await import("./cli/plan.js");
      return planCommand((await app()).deps, args);
    }
    case "daemon": {
      noArguments(command, rest);
      const { daemonCommand } = await import("./cli/daemon.js");
      return daemonCommand(await app());
    }
    case "run": {
      const args = parseRunArgs(rest);
      const { runCommand } = await import("./cli/run.js");
      const { terminalProgress } = await import("./cli/run-progress.js");
      const progress = terminalProgress();
      return runCommand(await app(progress.logs), args, progress);
    }
    case "status": {
      const args = parseStatusArgs(rest);
      const { statusCommand } = await import("./cli/status.js");
      return statusCommand(await app(), args);
    }
    case "snapshots": {
      const args = parseSnapshotsArgs(rest);
      const { snapshotsCommand } = await import("./cli/snapshots.js");
      return snapshotsCommand(await app(), args);
    }
    case "restore": {
      const args = parseRestoreArgs(rest);
      if (typeof args === "string") throw new UsageError(args);
      const { restoreCommand } = await import("./cli/restore.js");
      return restoreCommand(await app(), args);
    }
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

async function config() {
  const { loadConfig } = await import("./config/load.js");
  return loadConfig();
}

/** The shared parts of every command; `logs` is where log lines go (a terminal's progress line, say). */
async function app(logs?: NodeJS.WritableStream) {
  const { buildApp } = await import("./cli/app.js");
  return buildApp(await config(), logs);
}

/** What the user reads when a command fails: the error and its causes, redacted, never a stack trace. */
function fail(error: unknown): never {
  process.stderr.write(`backup-agent: ${error instanceof ConfigError ? error.message : renderError(error)}\n`);
  process.exit(exitCodeFor(error));
}

// Loaded only when used (see deferred-require.ts): BuildKit's gRPC session and ssh2, which only image
// builds and ssh:// engines need, and OpenTelemetry, which only prom-client's exemplars use.
deferRequire("dockerode", "./session.js");
deferRequire("dockerode", "docker-modem/lib/ssh.js");
deferRequire("prom-client", "@opentelemetry/api");
// Every byte this process writes to stdout and stderr passes the one redaction first.
redactWrites(process.stdout);
redactWrites(process.stderr);
process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);
main(process.argv.slice(2)).then((code) => process.exit(code), fail);
