// restic's documented exit codes as typed errors (0.17+: 10, 11; 0.17.1+: 12).
import { BackupError, type BackupErrorOptions } from "../core/errors.js";
import { GATE_READY } from "./stdin-gate.js";

export class ResticError extends BackupError {
  override name = "ResticError";
}
/** 3: some source files could not be read; a snapshot was still made. */
export class ResticPartialError extends ResticError {
  override name = "ResticPartialError";
}
/** 10: the repository does not exist. The only failure that may lead to `restic init`. */
export class ResticNoRepositoryError extends ResticError {
  override name = "ResticNoRepositoryError";
}
/** 11: the repository lock could not be taken. */
export class ResticLockedError extends ResticError {
  override name = "ResticLockedError";
}
/** 12: the password is wrong. */
export class ResticWrongPasswordError extends ResticError {
  override name = "ResticWrongPasswordError";
}
/** The storage backend refused the credentials (a wrong or unknown key): retrying cannot help. */
export class ResticCredentialsError extends ResticError {
  override name = "ResticCredentialsError";
}
/** 130: interrupted (SIGINT/SIGTERM), as when a run is aborted. */
export class ResticInterruptedError extends ResticError {
  override name = "ResticInterruptedError";
}

const BY_CODE: Record<number, { type: typeof ResticError; meaning: string }> = {
  3: { type: ResticPartialError, meaning: "some source data could not be read" },
  10: { type: ResticNoRepositoryError, meaning: "the repository does not exist" },
  11: { type: ResticLockedError, meaning: "the repository is locked" },
  12: { type: ResticWrongPasswordError, meaning: "wrong repository password" },
  130: { type: ResticInterruptedError, meaning: "interrupted" },
};

/** Maps `restic <what>` ending with exitCode and stderr to the matching typed error. */
export function resticError(
  what: string,
  exitCode: number | undefined,
  detail: string,
  options: BackupErrorOptions = {},
) {
  const known = exitCode === undefined ? undefined : BY_CODE[exitCode];
  const notStarted = exitCode === undefined && String((options.cause as { syscall?: unknown } | undefined)?.syscall).startsWith("spawn");
  const meaning = known?.meaning ?? (notStarted ? "could not be started" : exitCode === undefined ? "did not exit" : "failed");
  const type = known?.type ?? ResticError;
  const tail = detail ? `: ${detail}` : "";
  const code = notStarted ? "" : ` (exit code ${exitCode ?? "none"})`;
  return new type(`restic ${what}: ${meaning}${code}${tail}`, {
    ...options,
    exitCode,
  });
}

/** The useful part of restic's stderr: the 0.18 `exit_error` message, else the last lines. */
export function stderrSummary(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l.trim() !== "" && !l.includes(GATE_READY));
  for (const line of lines.reverse()) {
    if (!line.startsWith("{")) continue;
    try {
      const parsed = JSON.parse(line) as { message_type?: string; message?: string };
      if (parsed.message_type === "exit_error" && parsed.message) return parsed.message.trim();
    } catch {
      // not JSON: fall through to the plain text
    }
  }
  return lines.reverse().slice(-3).join(" | ").slice(0, 1000);
}
