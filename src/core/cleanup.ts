// Cleanup that always runs and is never lost: its failure is joined to the main one, not dropped.
import { AggregateBackupError } from "./errors.js";

/**
 * Runs `body`, then `cleanup` whatever happened. When both fail, the error names `what` and holds
 * both; when only the cleanup fails, its error is the result.
 */
export async function withCleanup<T>(what: string, body: () => Promise<T>, cleanup: () => Promise<void>): Promise<T> {
  let result: T;
  try {
    result = await body();
  } catch (error) {
    try {
      await cleanup();
    } catch (cleanupError) {
      throw new AggregateBackupError(what, [error as Error, cleanupError as Error]);
    }
    throw error;
  }
  await cleanup();
  return result;
}
