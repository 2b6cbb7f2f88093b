// One kind's backup step, over the Meilisearch kind with a stand-in API: every target is tried, every
// failure (label, stopped container, refused API, missing expected target) is named and counted.
import { describe, expect, it } from "vitest";
import { renderError } from "../../../src/core/errors.js";
import { backupKind } from "../../../src/jobs/backup-kind.js";
import type { MeiliApi } from "../../../src/targets/meilisearch/client.js";
import { meilisearchKind } from "../../../src/targets/meilisearch/kind.js";
import { container, FakeDocker, runContext } from "../../support/fake-docker.js";
import { fakeJobDeps, metricValue } from "../../support/job-deps.js";

const search = (name: string, extra: Parameters<typeof container>[1] = {}) =>
  container(name, { ...extra, labels: { "backup-agent.meilisearch": "true", ...extra.labels } });

function setup(containers: ReturnType<typeof container>[]) {
  const calls: string[] = [];
  const docker = new FakeDocker(containers, () => ({ exitCode: 127, stderr: "no exec expected" }));
  const kind = meilisearchKind({
    engine: docker,
    hookTimeoutMs: 1_000,
    meilisearch: { apiKey: undefined, pollIntervalMs: 10, timeoutMs: 1_000 },
    client: (target: { name: string }): MeiliApi => ({
      createSnapshot: async () => {
        calls.push(`POST ${target.name}`);
        throw new Error(`refused by ${target.name}`);
      },
      getTask: async () => {
        throw new Error("not reached");
      },
    }),
  });
  const deps = fakeJobDeps(docker, { expected: ["meilisearch/search", "meilisearch/ghost", "postgres/db"] });
  const step = (expected = deps.expected) =>
    backupKind(kind, { ...deps, expected, metrics: deps.metrics.targets }, runContext("backup"), { project: "shop", reason: "test" }, { warnWhenNone: false });
  return { deps, step, calls };
}

describe("a kind's backup step", () => {
  it("fails naming every failed and missing target, counts each, and still tries the others", async () => {
    const { deps, step, calls } = setup([
      search("search"),
      search("broken", { labels: { "backup-agent.meilisearch.url": "nope" } }),
      search("sleepy", { running: false, state: "exited" }),
    ]);
    const error = await step().then(
      () => undefined,
      (e: unknown) => e,
    );
    const text = renderError(error);
    expect(text).toMatch(/^4 of 4 Meilisearch target\(s\) failed/);
    expect(text).toContain('meilisearch target "ghost" is expected but no labelled container exists');
    expect(text).toContain('meilisearch target "broken": label backup-agent.meilisearch.url of container shop-broken-1: expected an http:// or https:// URL; got "nope"');
    expect(text).toContain('meilisearch target "sleepy": container shop-sleepy-1 is not running (state: exited)');
    expect(text).toContain("refused by search");
    expect(calls).toEqual(["POST search"]);
    for (const target of ["search", "ghost", "broken", "sleepy"]) {
      expect(await metricValue(deps.registry, "backup_target_failures_total", { kind: "meilisearch", target, database: "" })).toBe(1);
    }
  });

  it("succeeds with nothing to do when no container is labelled and none is expected", async () => {
    const { step } = setup([]);
    await expect(step([])).resolves.toBeUndefined();
  });
});
