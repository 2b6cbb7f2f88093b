// The Docker labels around volumes. Documented in the README; keep them stable.
export const VOLUME_LABELS = {
  /** On a container: stop it while volumes are backed up, start it again afterwards. */
  stopDuringBackup: "backup-agent.stop-during-backup",
  /** On a volume: deliberately not backed up, so never reported as unprotected. */
  exclude: "backup-agent.exclude",
} as const;
