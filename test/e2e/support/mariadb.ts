// MariaDB from Debian's archive in a locally built image (no registry here), for exec-dump scenarios.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureImage } from "./compose.js";

export const MARIADB_IMAGE = "backup-agent-test/mariadb:trixie";
const CONTEXT = join(import.meta.dirname, "../../fixtures/mariadb");

/** Builds the image unless one built from the same files exists. */
export function ensureMariadbImage(): Promise<void> {
  const hash = createHash("sha256")
    .update(readFileSync(join(CONTEXT, "Dockerfile")))
    .update(readFileSync(join(CONTEXT, "entrypoint.sh")))
    .digest("hex")
    .slice(0, 16);
  return ensureImage(MARIADB_IMAGE, hash, [CONTEXT]);
}
