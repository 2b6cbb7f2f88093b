// One error class for everything a run can fail on: it keeps the cause and says what was being done.

export interface BackupErrorOptions {
  cause?: unknown;
  /** The target (service, volume, repository) the failure belongs to, when there is one. */
  target?: string;
  /** An exit code of the child process that failed, when there is one. */
  exitCode?: number;
  timedOut?: boolean;
  isCanceled?: boolean;
}

export class BackupError extends Error {
  override name = "BackupError";
  readonly target: string | undefined;
  readonly exitCode: number | undefined;
  readonly timedOut: boolean;
  readonly isCanceled: boolean;

  constructor(message: string, options: BackupErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.target = options.target;
    this.exitCode = options.exitCode;
    this.timedOut = options.timedOut ?? false;
    this.isCanceled = options.isCanceled ?? false;
  }
}

/** Several targets failed; the run fails and names each. */
export class AggregateBackupError extends BackupError {
  override name = "AggregateBackupError";
  constructor(
    message: string,
    readonly errors: readonly Error[],
  ) {
    super(`${message}: ${errors.map((e) => e.message).join("; ")}`);
  }
}

/** Problems in the configuration, all of them at once. The process exits 78 (EX_CONFIG). */
export class ConfigError extends Error {
  override name = "ConfigError";
  static readonly EXIT_CODE = 78;
  constructor(readonly problems: readonly string[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }
}

/** A message for a log line or a healthchecks body: the error and its causes, one per line. */
export function describeError(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    lines.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.join("\n  caused by: ");
}
