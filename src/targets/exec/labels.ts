// The Docker labels of exec targets. Documented in the README; keep them stable.
export const EXEC_LABELS = {
  /** The dump command, run with `sh -c` inside the container; its stdout is the backup. */
  command: "backup-agent.exec.command",
  user: "backup-agent.exec.user",
  filename: "backup-agent.exec.filename",
  /**
   * A check of the newest dump at verify: run with `sh -c` in a throwaway container of the source's own
   * image (its command, its environment, no network), the dump on its stdin; it must exit 0.
   */
  verify: "backup-agent.exec.verify",
} as const;
