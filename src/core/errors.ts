// The agent's errors and their one renderer. Convention: a message says what was being done and what
// went wrong there; the error that caused it is attached as `cause`, never pasted into the message.
// renderError() writes the chain once, for log lines, healthchecks bodies and CLI stderr alike.

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

/** Several things failed; the run fails and names each (renderError lists them). */
export class AggregateBackupError extends BackupError {
  override name = "AggregateBackupError";
  constructor(
    message: string,
    readonly errors: readonly Error[],
    options: BackupErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** The command line was wrong: nothing was attempted. The process exits 64 (EX_USAGE). */
export class UsageError extends Error {
  override name = "UsageError";
  static readonly EXIT_CODE = 64;
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

/** The exit code of a command that failed with `error`: 78 configuration, 64 usage, else 1. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError) return ConfigError.EXIT_CODE;
  if (error instanceof UsageError) return UsageError.EXIT_CODE;
  return 1;
}

/** Joins several errors into one: undefined for none, the error itself for one. */
export function joinErrors(message: string, errors: readonly Error[]): Error | undefined {
  if (errors.length === 0) return undefined;
  if (errors.length === 1) return errors[0];
  return new AggregateBackupError(message, errors);
}

/**
 * The error as one text: its message, then each cause the text does not already say (": cause");
 * for an aggregate, each part on its own line below it. The only way an error becomes text.
 */
export function renderError(error: unknown, indent = ""): string {
  let text = messageOf(error);
  let current = error;
  for (let depth = 0; depth < 8; depth++) {
    const parts = partsOf(current);
    if (parts) {
      const inner = `${indent}  `;
      return text + parts.map((e) => `\n${inner}- ${renderError(e, inner)}`).join("");
    }
    const cause = current instanceof Error ? current.cause : undefined;
    if (cause === undefined || cause === null) break;
    const message = messageOf(cause);
    if (message && !text.includes(message)) text += `: ${message}`;
    current = cause;
  }
  return text;
}

function partsOf(error: unknown): readonly unknown[] | undefined {
  if (error instanceof AggregateBackupError || error instanceof AggregateError) return error.errors;
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type LogLevel = "error" | "warn" | "info";

/**
 * Logs that `what` failed, with the rendered error as the message (the one text a person reads, and
 * the healthchecks tail keeps) and the error itself as `err` for the JSON reader.
 */
export function logFailure(
  log: Record<LogLevel, (fields: object, message: string) => void>,
  what: string,
  error: unknown,
  fields: Record<string, unknown> = {},
  level: LogLevel = "error",
): void {
  log[level]({ ...fields, err: error }, `${what}: ${renderError(error)}`);
}
