import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { ContainerInfo, VolumeInfo } from "../../../../src/docker/engine.js";
import { readableVolumePath } from "../../../../src/targets/volumes/backup.js";
import { discoverVolumes } from "../../../../src/targets/volumes/discover.js";
import { withContainersStopped } from "../../../../src/targets/volumes/stop-restart.js";
import { renderError } from "../../../../src/core/errors.js";

const log = pino({ level: "silent" });

function volume(name: string, labels: Record<string, string> = {}): VolumeInfo {
  return { name, labels: { "com.docker.compose.project": "shop", ...labels } };
}

function container(name: string, running: boolean, mounts: ContainerInfo["mounts"] = []): ContainerInfo {
  return {
    id: `id-${name}`,
    name,
    service: name,
    project: "shop",
    labels: {},
    env: {},
    image: "img",
    running,
    state: running ? "running" : "exited",
    mounts,
  };
}

describe("volume discovery", () => {
  it("backs up project volumes mounted under the root by full name or Compose key, and every configured one", async () => {
    const root = mkdtempSync(join(tmpdir(), "volumes-root-"));
    mkdirSync(join(root, "shop_uploads"));
    mkdirSync(join(root, "pgdata"));
    const lister = {
      listVolumes: async () => [
        volume("shop_uploads"),
        volume("shop_pgdata", { "com.docker.compose.volume": "pgdata" }),
        volume("shop_unmounted"),
      ],
    };
    const found = await discoverVolumes(lister, "shop", root, ["extra"]);
    expect(found.targets).toEqual([
      { kind: "volume", name: "extra", path: join(root, "extra"), source: "BACKUP_VOLUMES", problems: [] },
      { kind: "volume", name: "shop_pgdata", path: join(root, "pgdata"), source: "project", problems: [] },
      { kind: "volume", name: "shop_uploads", path: join(root, "shop_uploads"), source: "project", problems: [] },
    ]);
    expect(found.projectVolumes.map((v) => v.name)).toContain("shop_unmounted");
  });

  it("fails a volume whose directory is missing or empty, naming it, and follows a symlinked mount", async () => {
    const root = mkdtempSync(join(tmpdir(), "volumes-check-"));
    mkdirSync(join(root, "empty"));
    const real = mkdtempSync(join(tmpdir(), "volumes-real-"));
    writeFileSync(join(real, "file"), "data");
    symlinkSync(real, join(root, "linked"));
    const target = (name: string) => ({
      kind: "volume" as const,
      name,
      path: join(root, name),
      source: "BACKUP_VOLUMES" as const,
      problems: [],
    });
    await expect(readableVolumePath(target("missing"))).rejects.toThrow(
      `volume "missing": ${join(root, "missing")} does not exist`,
    );
    await expect(readableVolumePath(target("empty"))).rejects.toThrow(
      `volume "empty": ${join(root, "empty")} is empty`,
    );
    expect(await readableVolumePath(target("linked"))).toBe(real);
  });
});

class FakeEngine {
  readonly calls: string[] = [];
  constructor(
    readonly containers: ContainerInfo[],
    readonly failStart = new Set<string>(),
  ) {}
  async listContainers(label: string) {
    expect(label).toBe("backup-agent.stop-during-backup=true");
    return this.containers;
  }
  async stop(id: string, signal: AbortSignal) {
    signal.throwIfAborted();
    this.calls.push(`stop ${id}`);
  }
  async usersOf() {
    return [];
  }
  async start(id: string, signal: AbortSignal) {
    signal.throwIfAborted();
    this.calls.push(`start ${id}`);
    if (this.failStart.has(id)) throw new Error(`cannot start ${id}`);
  }
}

describe("stop during backup", () => {
  it("starts the stopped containers again after the volume step fails, and leaves an already stopped one alone", async () => {
    const engine = new FakeEngine([
      container("app", true),
      container("worker", true),
      container("idle", false),
    ]);
    const run = { signal: new AbortController().signal, log };
    await expect(
      withContainersStopped(engine, "shop", run, async () => {
        engine.calls.push("backup");
        throw new Error("volume failed");
      }),
    ).rejects.toThrow("volume failed");
    expect(engine.calls).toEqual([
      "stop id-app",
      "stop id-worker",
      "backup",
      "start id-app",
      "start id-worker",
    ]);
  });

  it("starts them again when the run is aborted during the volume step", async () => {
    const engine = new FakeEngine([container("app", true)]);
    const controller = new AbortController();
    await expect(
      withContainersStopped(engine, "shop", { signal: controller.signal, log }, async () => {
        controller.abort(new Error("aborted: shutting down"));
        controller.signal.throwIfAborted();
      }),
    ).rejects.toThrow("aborted: shutting down");
    expect(engine.calls).toEqual(["stop id-app", "start id-app"]);
  });

  it("joins a failed restart to the step's own error instead of dropping either", async () => {
    const engine = new FakeEngine([container("app", true)], new Set(["id-app"]));
    const run = { signal: new AbortController().signal, log };
    const error = await withContainersStopped(engine, "shop", run, async () => {
      throw new Error("volume failed");
    }).catch((e: Error) => e);
    expect(renderError(error)).toContain("volume failed");
    expect(renderError(error)).toContain("container app was stopped for the volume backup and could not be started again");
  });

  it("returns the step's result and restarts once when everything succeeds", async () => {
    const engine = new FakeEngine([container("app", true)]);
    const result = await withContainersStopped(
      engine,
      undefined,
      { signal: new AbortController().signal, log },
      async () => 42,
    );
    expect(result).toBe(42);
    expect(engine.calls).toEqual(["stop id-app", "start id-app"]);
  });
});

describe("volume configuration", () => {
  it("refuses a BACKUP_VOLUMES entry that is not a Docker volume name, showing the control character", async () => {
    const { loadConfig } = await import("../../../../src/config/load.js");
    const base = { RESTIC_REPOSITORY: "/srv/restic", RESTIC_PASSWORD: "pw", RESTIC_BINARY: process.execPath };
    expect(loadConfig({ ...base, BACKUP_VOLUMES: "shop_uploads, media" }).volumes).toEqual({
      root: "/volumes",
      names: ["shop_uploads", "media"],
    });
    expect(() => loadConfig({ ...base, BACKUP_VOLUMES: "../etc" })).toThrow(
      'BACKUP_VOLUMES: expected Docker volume names (letters, digits, "_", ".", "-"); got "../etc"',
    );
    expect(() => loadConfig({ ...base, BACKUP_VOLUMES_ROOT: "/volumes\n" })).toThrow(
      "BACKUP_VOLUMES_ROOT: must not contain control characters",
    );
  });
});
