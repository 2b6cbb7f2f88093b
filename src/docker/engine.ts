// The narrow view of the Docker Engine that targets need. Implemented over dockerode in dockerode-engine.ts.
import type { Writable } from "node:stream";

export interface ContainerInfo {
  id: string;
  /** Container name without the leading slash. */
  name: string;
  /** Compose service, or the container name outside Compose. */
  service: string;
  project: string | undefined;
  labels: Record<string, string>;
  env: Record<string, string>;
  image: string;
  /** The container's own command and entrypoint (a throwaway copy of it runs the same). */
  cmd?: string[];
  entrypoint?: string[];
  running: boolean;
  /** Docker's state word: running, exited, paused, restarting, … */
  state: string;
  /** What is mounted into the container (from inspect); absent from fakes that do not need it. */
  mounts?: MountInfo[];
}

export interface MountInfo {
  /** "volume", "bind", "tmpfs", … */
  type: string;
  /** The volume's name, for named volumes. */
  name: string | undefined;
  /** Where it comes from on the host (a bind's path, a volume's mountpoint). */
  source?: string;
  destination: string;
  readOnly?: boolean;
}

export interface VolumeInfo {
  name: string;
  labels: Record<string, string>;
}

/** Volumes by Compose project: what the unprotected-volume report compares against. */
export interface VolumeLister {
  /** Volumes carrying com.docker.compose.project (=project when given). */
  listVolumes(project?: string): Promise<VolumeInfo[]>;
}

/** Stopping and starting containers around the volume step. */
export interface ContainerControl {
  /** Stops the container (Docker's own grace period); resolves once it is stopped. Idempotent. */
  stop(id: string, signal: AbortSignal): Promise<void>;
  /** Starts the container; resolves once Docker accepted it. Idempotent. */
  start(id: string, signal: AbortSignal): Promise<void>;
  /** The running containers that mount the volume, the agent's own container excepted. */
  usersOf(volume: string): Promise<{ id: string; name: string }[]>;
}

export interface ExecOptions {
  env?: string[];
  user?: string;
  signal: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  /** The last 64 kB of stderr. */
  stderr: string;
}

export interface Engine {
  /**
   * Containers carrying the label (`key` or `key=value`; every container when undefined), running or
   * not, optionally only those of one Compose project. One-off `compose run` containers excepted.
   */
  listContainers(label: string | undefined, project?: string): Promise<ContainerInfo[]>;
  /** The container, or undefined when it does not exist. */
  inspect(idOrName: string): Promise<ContainerInfo | undefined>;
  /** The container's full id, whether it runs, and when it was last started; undefined when it does not exist. */
  inspectStarted(idOrName: string): Promise<{ id: string; running: boolean; started: string } | undefined>;
  /**
   * Runs cmd in the container and streams its stdout into `stdout` with backpressure. Resolves once
   * the stream has ended *and* Docker reports an exit code; never ends `stdout`.
   */
  exec(id: string, cmd: readonly string[], stdout: Writable, options: ExecOptions): Promise<ExecResult>;
  /** Runs cmd and collects its stdout as text (for small outputs such as psql queries). */
  execText(
    id: string,
    cmd: readonly string[],
    options: ExecOptions,
  ): Promise<ExecResult & { stdout: string }>;
  /**
   * A tar stream of `path` (a file, or a directory and everything below it) inside the container,
   * from Docker's archive API: no shared volume, no exec. Rejects when the container or the path does
   * not exist. The stream is destroyed when `signal` aborts; the caller must read it to its end or
   * destroy it.
   */
  getArchive(id: string, path: string, signal: AbortSignal): Promise<NodeJS.ReadableStream>;
}
