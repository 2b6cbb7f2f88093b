import { describe, expect, it } from "vitest";
import { computeCoverage } from "../../../src/jobs/coverage.js";
import type { VolumeInfo } from "../../../src/docker/engine.js";

function volume(name: string, labels: Record<string, string> = {}): VolumeInfo {
  return { name, labels: { "com.docker.compose.project": "shop", ...labels } };
}

describe("unprotected volumes", () => {
  it("reports a project volume that no target covers and no label excludes", () => {
    const coverage = computeCoverage(
      [
        volume("shop_uploads"),
        volume("shop_pgdata"),
        volume("shop_cache", { "backup-agent.exclude": "true" }),
        volume("shop_forgotten"),
        volume("shop_meili"),
      ],
      ["shop_uploads"],
      [
        {
          kind: "postgres",
          name: "db",
          container: {
            mounts: [{ type: "volume", name: "shop_pgdata", destination: "/var/lib/postgresql" }],
          },
        },
        {
          kind: "meilisearch",
          name: "search",
          container: {
            mounts: [
              { type: "bind", name: undefined, destination: "/x" },
              { type: "volume", name: "shop_meili", destination: "/meili_data" },
            ],
          },
        },
      ],
    );
    expect(coverage.unprotected).toEqual(["shop_forgotten"]);
    expect(coverage.excluded).toEqual(["shop_cache"]);
    expect(coverage.covered).toEqual({
      shop_uploads: "volume target",
      shop_pgdata: "data of postgres target db",
      shop_meili: "data of meilisearch target search",
    });
  });

  it("does not count an exclude label with any value but true", () => {
    const coverage = computeCoverage([volume("v", { "backup-agent.exclude": "yes please" })], [], []);
    expect(coverage.unprotected).toEqual(["v"]);
  });
});

