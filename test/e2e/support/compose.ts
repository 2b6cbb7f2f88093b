// The agent's image and the socket proxy's, built from the repository's Dockerfiles on the local bases
// (cached by a content-hash label), and Compose projects of compose/docker-compose.yml run by tests.
import { createHash, randomBytes } from "node:crypto";
import { chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { execa } from "execa";
import { PG_IMAGES } from "./docker.js";
import { MEILI_DOUBLE_IMAGE } from "./meili.js";

const ROOT = join(import.meta.dirname, "../../..");
const HASH_LABEL = "org.backup-agent.bench.hash";
export const AGENT_IMAGE = "backup-agent-test/agent:latest";
export const PROXY_IMAGE = "backup-agent-test/socket-proxy:latest";
export const NODE_BASE = "backup-agent-test/node:22";
export const DEBIAN_BASE = "backup-agent-test/debian:trixie";

function files(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => files(join(path, name)));
}

function contentHash(paths: string[]): string {
  const hash = createHash("sha256");
  for (const file of paths.flatMap((p) => files(join(ROOT, p)))) {
    hash.update(relative(ROOT, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * The CA certificates a TLS-intercepting proxy between this machine and the npm registry needs
 * (Debian's local additions), for the image's npm stages; empty when there are none.
 */
export function extraCaCerts(): string {
  const dir = "/usr/local/share/ca-certificates";
  try {
    return files(dir)
      .filter((f) => f.endsWith(".crt"))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
  } catch {
    return "";
  }
}

/** Builds `tag` with `docker build args` unless an image of that tag carries the same content hash. */
export async function ensureImage(tag: string, hash: string, args: string[]): Promise<void> {
  const current = await execa("docker", ["image", "inspect", "-f", `{{ index .Config.Labels "${HASH_LABEL}" }}`, tag], {
    reject: false,
  });
  if (current.exitCode === 0 && current.stdout.trim() === hash) return;
  const build = await execa("docker", ["build", "-q", "--label", `${HASH_LABEL}=${hash}`, "-t", tag, ...args], {
    reject: false,
    cwd: ROOT,
    env: { DOCKER_BUILDKIT: "0" },
    timeout: 900_000,
  });
  if (build.exitCode !== 0) throw new Error(`docker build ${tag} failed:\n${build.stdout}\n${build.stderr}`);
}

/** backup-agent's image from the Dockerfile, on the bench's Node 22 trixie image. */
export async function ensureAgentImage(): Promise<void> {
  const hash = contentHash([
    "Dockerfile",
    ".dockerignore",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "tsconfig.build.json",
    "src",
    "crontab.example",
    "README.md",
  ]);
  await ensureImage(AGENT_IMAGE, hash, [
    "--build-arg",
    `BASE_IMAGE=${NODE_BASE}`,
    "--build-arg",
    `EXTRA_CA_CERTS=${extraCaCerts()}`,
    ".",
  ]);
}

/** The socket proxy of compose/socket-proxy, on the bench's trixie image. */
export async function ensureProxyImage(): Promise<void> {
  const hash = contentHash(["compose/socket-proxy"]);
  await ensureImage(PROXY_IMAGE, hash, ["--build-arg", `BASE_IMAGE=${DEBIAN_BASE}`, "compose/socket-proxy"]);
}

/** One Compose project of compose/docker-compose.yml (plus overrides), on this machine's local images. */
export class ComposeProject {
  constructor(
    readonly name: string,
    readonly files: string[],
    readonly env: Record<string, string>,
  ) {}

  async compose(args: string[], options: { reject?: boolean; timeout?: number; input?: string } = {}) {
    const result = await this.start(args, options);
    if (options.reject !== false && result.exitCode !== 0) {
      throw new Error(`docker compose ${args.join(" ")} exited ${result.exitCode}:\n${result.stdout}\n${result.stderr}`);
    }
    return result;
  }

  /** Starts `docker compose …` without waiting for it (a one-off run a test kills, say). */
  start(args: string[], options: { timeout?: number; input?: string } = {}) {
    const fileArgs = this.files.flatMap((f) => ["-f", join(ROOT, f)]);
    return execa("docker", ["compose", "-p", this.name, ...fileArgs, "--profile", "backup", ...args], {
      reject: false,
      cwd: ROOT,
      env: { ...this.env, DOCKER_BUILDKIT: "0" },
      timeout: options.timeout ?? 300_000,
      ...(options.input === undefined ? {} : { input: options.input }),
    });
  }

  /** `docker compose … --profile backup run --rm [extra] backup-agent <args>`, as the README has the operator run it. */
  async agent(args: string[], extra: string[] = []) {
    const result = await this.compose(["run", "--rm", ...extra, "backup-agent", ...args], { reject: false, timeout: 600_000 });
    return { exitCode: result.exitCode, stdout: result.stdout, output: `${result.stdout}\n${result.stderr}` };
  }

  /** The host address of a service's published port, e.g. "127.0.0.1:49153". */
  async port(service: string, port: number): Promise<string> {
    return (await this.compose(["port", service, String(port)])).stdout.trim();
  }

  /** Removes the project's containers, volumes and networks. */
  async down(): Promise<void> {
    await this.compose(["down", "--volumes", "--remove-orphans", "--timeout", "10"], { reject: false });
  }
}

/** The uid the agent's image runs as. */
export const AGENT_UID = 10001;

/** A secret file as the README says to make one: readable by the agent's uid, by no one else. */
export function agentSecret(path: string, value = randomBytes(24).toString("base64")): string {
  writeFileSync(path, `${value}\n`, { mode: 0o400 });
  chownSync(path, AGENT_UID, AGENT_UID);
  return path;
}

export interface AgentProjectOptions {
  /** Lines of the agent's env file after the repository's. */
  settings: string[];
  /** The agent's crontab (the schedule the profile's daemon runs). */
  crontab?: string;
  /** Compose variables beyond the example stack's. */
  vars?: Record<string, string>;
}

/**
 * A project of compose/docker-compose.yml (plus `files`) on this machine's local images, with the
 * agent's env file, crontab and repository password under `<work>/<name>`, as the README sets them up.
 */
export function agentProject(work: string, kind: string, files: string[], options: AgentProjectOptions): ComposeProject & { dir: string } {
  const name = `ba-e2e-${kind}-${randomBytes(3).toString("hex")}`;
  const dir = join(work, name);
  mkdirSync(dir);
  const envFile = join(dir, "agent.env");
  writeFileSync(envFile, ["RESTIC_REPOSITORY=/repository", "RESTIC_PASSWORD_FILE=/run/secrets/restic-password", ...options.settings, ""].join("\n"));
  const crontab = join(dir, "crontab");
  writeFileSync(crontab, options.crontab ?? "# every ten seconds\n*/10 * * * * * backup\n", { mode: 0o644 });
  const project = new ComposeProject(name, files, {
    AGENT_IMAGE,
    SOCKET_PROXY_IMAGE: PROXY_IMAGE,
    BASE_IMAGE: NODE_BASE,
    DEBIAN_IMAGE: DEBIAN_BASE,
    POSTGRES_IMAGE: PG_IMAGES[17],
    MEILI_IMAGE: MEILI_DOUBLE_IMAGE,
    APP_IMAGE: DEBIAN_BASE,
    AGENT_ENV_FILE: envFile,
    AGENT_CRONTAB: crontab,
    RESTIC_PASSWORD_HOST_FILE: agentSecret(join(dir, "restic-password")),
    AGENT_METRICS_PUBLISH: "127.0.0.1:",
    DOCKER_GID: String(statSync("/var/run/docker.sock").gid),
    ...options.vars,
  });
  return Object.assign(project, { dir });
}
