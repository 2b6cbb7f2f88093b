import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../../src/config/load.js";
import { Secret } from "../../../../src/config/secret.js";
import type { ContainerInfo } from "../../../../src/docker/engine.js";
import { describeMeilisearch } from "../../../../src/targets/meilisearch/discover.js";

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
      'label backup-agent.meilisearch.url of container shop-search-1: expected an http:// or https:// URL; got "search:7700"',
      'label backup-agent.meilisearch.snapshot-dir of container shop-search-1: expected an absolute path in the container; got "snapshots"',
    ]);
  });
});

describe("Meilisearch configuration", () => {
  const base = { RESTIC_REPOSITORY: "/srv/repo", RESTIC_PASSWORD: "pw", RESTIC_BINARY: process.execPath };

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
