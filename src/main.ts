#!/usr/bin/env node
// argv -> command. The only process.exit of the program.
import { buildApp, VERSION } from "./cli/app.js";
import { checkConfigCommand } from "./cli/check-config.js";
import { daemonCommand } from "./cli/daemon.js";
import { healthcheckCommand } from "./cli/healthcheck.js";
import { planCommand } from "./cli/plan.js";
import { restoreCommand } from "./cli/restore.js";
import { runCommand } from "./cli/run.js";
import { terminalProgress } from "./cli/run-progress.js";
import { snapshotsCommand } from "./cli/snapshots.js";
import { statusCommand } from "./cli/status.js";
import { loadConfig } from "./config/load.js";
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
  backup-agent check-config           print the resolved configuration, secrets redacted
  backup-agent healthcheck            exit 0 when the running daemon's /healthz answers 200
  backup-agent version

Configuration comes from environment variables; see the README.
Exit codes: 0 ok, 1 a run failed, 64 bad usage, 78 bad configuration.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv.length ? argv : ["daemon"];
  switch (command) {
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return 0;
    case "version":
    case "--version":
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case "check-config":
      return checkConfigCommand(loadConfig());
    case "healthcheck":
      return healthcheckCommand();
    case "plan":
      return planCommand(buildApp(loadConfig()).deps, rest);
    case "daemon":
      return daemonCommand(buildApp(loadConfig()));
    case "run": {
      const progress = terminalProgress();
      return runCommand(buildApp(loadConfig(), progress.logs), rest, progress);
    }
    case "status":
      return statusCommand(buildApp(loadConfig()), rest);
    case "snapshots":
      return snapshotsCommand(buildApp(loadConfig()), rest);
    case "restore":
      return restoreCommand(buildApp(loadConfig()), rest);
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A configuration error already lists every problem; anything else is rendered with its causes.
    process.stderr.write(`backup-agent: ${error instanceof ConfigError ? error.message : renderError(error)}\n`);
    process.exit(exitCodeFor(error));
  },
);
