// A retention policy as configured (BACKUP_KEEP_*, BACKUP_OFFSITE_KEEP_*): restic forget's --keep-* keys.

/** A count of -1 keeps all (restic's "unlimited"); restic/policy.ts applies it as restic 0.18 does. */
export interface RetentionPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  /** A restic duration such as "14d", "1y6m" or "36h", relative to the newest snapshot not in the future. */
  within?: string;
}
