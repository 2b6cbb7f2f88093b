// Why a Meilisearch target failed, keeping what Meilisearch said (HTTP status, error code) as fields.
import { BackupError, type BackupErrorOptions } from "../../core/errors.js";

export interface MeilisearchErrorOptions extends BackupErrorOptions {
  /** The HTTP status Meilisearch answered with, when it answered. */
  status?: number;
  /** Meilisearch's error code (`invalid_api_key`, a failed task's code, …), when it gave one. */
  code?: string;
}

export class MeilisearchError extends BackupError {
  override name = "MeilisearchError";
  readonly status: number | undefined;
  readonly code: string | undefined;

  constructor(message: string, options: MeilisearchErrorOptions = {}) {
    super(message, options);
    this.status = options.status;
    this.code = options.code;
  }
}
