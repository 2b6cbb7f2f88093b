// Meilisearch containers for e2e tests: the stand-in image (built here, cached by a content-hash
// label) or a real image, on a user-defined network, with a port published on 127.0.0.1 only.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { expect, vi } from "vitest";
import { freePort } from "./daemon.js";
import { docker, E2E_LABEL, uniqueName } from "./docker.js";

export const MEILI_DOUBLE_IMAGE = "backup-agent-test/meili-double:latest";
const NODE_IMAGE = "backup-agent-test/node:22";
const DOUBLE_DIR = join(import.meta.dirname, "../../fixtures/meili-double");
const HASH_LABEL = "org.backup-agent.bench.hash";

/** Builds the stand-in image unless one built from the same Dockerfile and server.mjs exists. */
export async function ensureMeiliDoubleImage(): Promise<void> {
  const hash = createHash("sha256")
    .update(readFileSync(join(DOUBLE_DIR, "Dockerfile")))
    .update(readFileSync(join(DOUBLE_DIR, "server.mjs")))
    .digest("hex")
    .slice(0, 16);
  const current = await execa(
    "docker",
    ["image", "inspect", "-f", `{{ index .Config.Labels "${HASH_LABEL}" }}`, MEILI_DOUBLE_IMAGE],
    { reject: false },
  );
  if (current.exitCode === 0 && current.stdout.trim() === hash) return;
  const base = await execa("docker", ["image", "inspect", NODE_IMAGE], { reject: false });
  if (base.exitCode !== 0) {
    throw new Error(`${NODE_IMAGE} is missing: run \`sudo bash test/bench/setup.sh\` to build it`);
  }
  const build = await execa(
    "docker",
    ["build", "-q", "--label", `${HASH_LABEL}=${hash}`, "-t", MEILI_DOUBLE_IMAGE, DOUBLE_DIR],
    { reject: false, env: { DOCKER_BUILDKIT: "0" } },
  );
  if (build.exitCode !== 0) throw new Error(`docker build ${MEILI_DOUBLE_IMAGE} failed: ${build.stderr}`);
}

export async function createNetwork(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await docker(["network", "create", "--label", E2E_LABEL, name]);
  return name;
}

export interface MeiliContainer {
  name: string;
  port: number;
  url: string;
  /** sha256 and size of a file inside the container, read with `docker exec cat`. */
  fileDigest(path: string): Promise<{ sha256: string; size: number }>;
  logs(): Promise<string>;
}

/**
 * Starts a labelled Meilisearch (or stand-in) container that looks like a Compose service, with its
 * API published on a loopback port named in its URL label, and waits until /health answers.
 */
export async function startMeili(options: {
  project: string;
  service: string;
  network: string;
  image?: string;
  env?: Record<string, string>;
  labels?: Record<string, string>;
}): Promise<MeiliContainer> {
  const name = uniqueName(`${options.project}-${options.service}`);
  // The URL label must name the published port, and labels are fixed at creation: pick the port
  // first, and pick again if another process took it in between.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const labels = {
      "com.docker.compose.project": options.project,
      "com.docker.compose.service": options.service,
      "backup-agent.meilisearch": "true",
      "backup-agent.meilisearch.url": `http://127.0.0.1:${port}`,
      ...options.labels,
    };
    const args = ["run", "-d", "--name", name, "--label", E2E_LABEL, "--network", options.network];
    args.push("-p", `127.0.0.1:${port}:7700`);
    for (const [k, v] of Object.entries(labels)) args.push("--label", `${k}=${v}`);
    for (const [k, v] of Object.entries(options.env ?? {})) args.push("-e", `${k}=${v}`);
    const run = await execa("docker", [...args, options.image ?? MEILI_DOUBLE_IMAGE], { reject: false });
    if (run.exitCode !== 0) {
      await execa("docker", ["rm", "-f", name], { reject: false });
      if (attempt < 3 && /port is already allocated|address already in use/.test(run.stderr)) continue;
      throw new Error(`docker run ${name} failed: ${run.stderr}`);
    }
    const url = `http://127.0.0.1:${port}`;
    await vi.waitFor(
      async () => {
        const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
        expect(await response.json()).toEqual({ status: "available" });
      },
      { timeout: 60_000, interval: 100 },
    );
    return {
      name,
      port,
      url,
      async fileDigest(path) {
        const result = await execa("docker", ["exec", name, "cat", path], { encoding: "buffer" });
        const bytes = Buffer.from(result.stdout);
        return { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
      },
      logs: () => docker(["logs", name]),
    };
  }
}
