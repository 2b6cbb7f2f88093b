import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import pino from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { Secret } from "../../src/config/secret.js";
import type { RunContext } from "../../src/core/job.js";
import type { ContainerInfo, Engine } from "../../src/docker/engine.js";
import { backupMeilisearchTargets } from "../../src/jobs/meilisearch-targets.js";
import { TargetMetrics } from "../../src/report/target-metrics.js";
import type { ResticRepository } from "../../src/restic/repository.js";
import type { MeiliApi } from "../../src/targets/meilisearch/client.js";
import { describeMeilisearch } from "../../src/targets/meilisearch/discover.js";

function container(
  labels: Record<string, string> = {},
  env: Record<string, string> = {},
  extra: Partial<ContainerInfo> = {},
): ContainerInfo {
  return {
    id: "c1",
    name: "shop-search-1",
    service: "search",
    project: "shop",
    labels: { "backup-agent.meilisearch": "true", ...labels },
    env,
    image: "getmeili/meilisearch:v1.12",
    running: true,
    state: "running",
    ...extra,
  };
}

describe("describeMeilisearch", () => {
  it("reaches the container by name on port 7700 and reads the official image's snapshot directory", () => {
    expect(describeMeilisearch(container(), undefined)).toMatchObject({
      kind: "meilisearch",
      name: "search",
      url: "http://shop-search-1:7700",
      snapshotDir: "/meili_data/snapshots/",
      apiKey: undefined,
      problems: [],
    });
  });

  it("takes the URL and snapshot directory from labels", () => {
    const t = describeMeilisearch(
      container({
        "backup-agent.meilisearch.url": "https://search.internal:7701/",
        "backup-agent.meilisearch.snapshot-dir": "/data/snaps",
      }),
      undefined,
    );
    expect(t).toMatchObject({
      url: "https://search.internal:7701",
      snapshotDir: "/data/snaps/",
      problems: [],
    });
  });

  it("uses the container's MEILI_MASTER_KEY unless the agent has BACKUP_MEILI_API_KEY, and never shows either", () => {
    const own = describeMeilisearch(container({}, { MEILI_MASTER_KEY: "own-master-key-123" }), undefined);
    expect(own.apiKey?.reveal()).toBe("own-master-key-123");
    expect(own.keySource).toBe("the container's MEILI_MASTER_KEY");
    const agent = describeMeilisearch(
      container({}, { MEILI_MASTER_KEY: "own-master-key-123" }),
      new Secret("agent-key-456789"),
    );
    expect(agent.apiKey?.reveal()).toBe("agent-key-456789");
    expect(agent.keySource).toBe("BACKUP_MEILI_API_KEY");
    const shown = `${inspect(agent.apiKey)} ${JSON.stringify({ key: agent.apiKey })} ${agent.apiKey}`;
    expect(shown).not.toContain("agent-key");
  });

  it("turns unusable labels into problems instead of guessing", () => {
    const t = describeMeilisearch(
      container({
        "backup-agent.meilisearch.url": "search:7700",
        "backup-agent.meilisearch.snapshot-dir": "snapshots",
      }),
      undefined,
    );
    expect(t.problems).toEqual([
      'label backup-agent.meilisearch.url: expected an http:// or https:// URL; got "search:7700"',
      'label backup-agent.meilisearch.snapshot-dir: expected an absolute path in the container; got "snapshots"',
    ]);
  });
});

describe("the Meilisearch step", () => {
  function setup(containers: ContainerInfo[]) {
    const registry = new Registry();
    const calls: string[] = [];
    const engine = {
      listContainers: async () => containers,
      inspect: async (id: string) => containers.find((c) => c.id === id),
      exec: async () => {
        throw new Error("no exec expected");
      },
      execText: async () => {
        throw new Error("no exec expected");
      },
      getArchive: async () => {
        throw new Error("no archive expected");
      },
    } satisfies Engine;
    const deps = {
      engine,
      repository: {} as ResticRepository,
      host: "test",
      metrics: new TargetMetrics(registry),
      meilisearch: { apiKey: undefined, pollIntervalMs: 10, timeoutMs: 1_000 },
      project: "shop",
      expected: ["meilisearch/search", "meilisearch/ghost", "postgres/db"],
      concurrency: 2,
      hookTimeoutMs: 1_000,
      client: (target: { name: string }): MeiliApi => ({
        createSnapshot: async () => {
          calls.push(`POST ${target.name}`);
          throw new Error(`refused by ${target.name}`);
        },
        getTask: async () => {
          throw new Error("not reached");
        },
      }),
    };
    const ctx = {
      runId: "run-1",
      job: "backup",
      flags: new Set<string>(),
      signal: AbortSignal.timeout(5_000),
      log: pino({ level: "silent" }),
      startedAt: new Date(),
    } satisfies RunContext;
    return { deps, ctx, registry, calls };
  }

  it("fails naming every failed and missing target, counts each, and still tries the others", async () => {
    const { deps, ctx, registry, calls } = setup([
      container({}, {}, { id: "a", name: "shop-search-1", service: "search" }),
      container(
        { "backup-agent.meilisearch.url": "nope" },
        {},
        { id: "b", name: "shop-broken-1", service: "broken" },
      ),
      container(
        {},
        {},
        { id: "c", name: "shop-sleepy-1", service: "sleepy", running: false, state: "exited" },
      ),
    ]);
    const error = await backupMeilisearchTargets(deps, ctx).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/^4 of 4 Meilisearch target\(s\) failed: /);
    expect(error?.message).toContain(
      'meilisearch target "ghost" is expected but no labelled container exists',
    );
    expect(error?.message).toContain(
      'meilisearch target "broken": label backup-agent.meilisearch.url: expected an http:// or https:// URL; got "nope"',
    );
    expect(error?.message).toContain(
      'meilisearch target "sleepy": container shop-sleepy-1 is not running (state: exited)',
    );
    expect(error?.message).toContain("refused by search");
    expect(calls).toEqual(["POST search"]);
    const text = await registry.metrics();
    for (const target of ["search", "ghost", "broken", "sleepy"]) {
      expect(text).toContain(
        `backup_target_failures_total{kind="meilisearch",target="${target}",database=""} 1`,
      );
    }
  });

  it("succeeds with nothing to do when no container is labelled and none is expected", async () => {
    const { deps, ctx } = setup([]);
    await expect(backupMeilisearchTargets({ ...deps, expected: [] }, ctx)).resolves.toBeUndefined();
  });
});

describe("Meilisearch configuration", () => {
  const base = { RESTIC_REPOSITORY: "/srv/repo", RESTIC_PASSWORD: "pw" };

  it("polls every 5 s for at most 120 s unless told otherwise, with no agent-wide key", () => {
    expect(loadConfig(base).meilisearch).toEqual({
      apiKey: undefined,
      pollIntervalMs: 5_000,
      timeoutMs: 120_000,
    });
  });

  it("reads the key from BACKUP_MEILI_API_KEY_FILE and the durations from their variables", () => {
    const file = join(mkdtempSync(join(tmpdir(), "meili-key-")), "key");
    writeFileSync(file, "file-key-0123456789\n");
    const config = loadConfig({
      ...base,
      BACKUP_MEILI_API_KEY_FILE: file,
      BACKUP_MEILI_POLL_INTERVAL: "500ms",
      BACKUP_MEILI_TIMEOUT: "10m",
    });
    expect(config.meilisearch.apiKey?.reveal()).toBe("file-key-0123456789");
    expect(config.meilisearch).toMatchObject({ pollIntervalMs: 500, timeoutMs: 600_000 });
    expect(JSON.stringify(config)).not.toContain("file-key");
  });

  it("refuses a timeout that is not a duration, naming the variable", () => {
    expect(() => loadConfig({ ...base, BACKUP_MEILI_TIMEOUT: "soon" })).toThrow(
      /BACKUP_MEILI_TIMEOUT: expected a duration such as "90s"/,
    );
  });
});
