// MariaDB from Debian's archive in a locally built image (no registry here), for exec-dump scenarios.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";

export const MARIADB_IMAGE = "backup-agent-test/mariadb:trixie";
const CONTEXT = join(import.meta.dirname, "../../fixtures/mariadb");
const HASH_LABEL = "org.backup-agent.bench.hash";

/** Builds the image unless one built from the same files exists. */
export async function ensureMariadbImage(): Promise<void> {
  const hash = createHash("sha256")
    .update(readFileSync(join(CONTEXT, "Dockerfile")))
    .update(readFileSync(join(CONTEXT, "entrypoint.sh")))
    .digest("hex")
    .slice(0, 16);
  const current = await execa("docker", ["image", "inspect", "-f", `{{ index .Config.Labels "${HASH_LABEL}" }}`, MARIADB_IMAGE], {
    reject: false,
  });
  if (current.exitCode === 0 && current.stdout.trim() === hash) return;
  const build = await execa("docker", ["build", "-q", "--label", `${HASH_LABEL}=${hash}`, "-t", MARIADB_IMAGE, CONTEXT], {
    reject: false,
    env: { DOCKER_BUILDKIT: "0" },
  });
  if (build.exitCode !== 0) throw new Error(`docker build ${MARIADB_IMAGE} failed: ${build.stderr}`);
}
