// The Docker labels of exec targets. Documented in the README; keep them stable.
export const EXEC_LABELS = {
  /** The dump command, run with `sh -c` inside the container; its stdout is the backup. */
  command: "backup-agent.exec.command",
  user: "backup-agent.exec.user",
  filename: "backup-agent.exec.filename",
} as const;
