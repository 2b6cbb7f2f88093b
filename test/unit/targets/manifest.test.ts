import { describe, expect, it } from "vitest";
import type { Snapshot } from "../../../src/restic/repository.js";
import { targetKindOf } from "../../../src/restic/tags.js";
import { findManifest, parseManifest } from "../../../src/targets/manifest.js";

const sha = "a".repeat(64);

describe("parseManifest", () => {
  const file = {
    kind: "postgres",
    database: "app",
    file: "x.dump",
    snapshot: "abcdef12",
    size: 10,
    sha256: sha,
  };

  it("reads a manifest with recorded row counts", () => {
    const text = JSON.stringify({ target: "db", run: "r", files: [{ ...file, tables: { "public.t": 3 } }] });
    expect(parseManifest(text).files[0]?.tables).toEqual({ "public.t": 3 });
  });

  it("reads a manifest written before row counts were recorded", () => {
    expect(
      parseManifest(JSON.stringify({ target: "db", run: "r", files: [file] })).files[0]?.tables,
    ).toBeUndefined();
  });

  it("names the field that is wrong", () => {
    const bad = JSON.stringify({ target: "db", run: "r", files: [{ ...file, sha256: "nope" }] });
    expect(() => parseManifest(bad)).toThrow("files[0].sha256");
    expect(() => parseManifest("{")).toThrow("manifest is not JSON");
  });
});


describe("findManifest", () => {
  const manifest = (id: string, time: string, path: string, extra: Record<string, string> = {}): Snapshot => ({
    id,
    time: new Date(time),
    rawTime: time,
    paths: [path],
    hostname: "h",
    tags: { kind: "manifest", target: "app", run: id, ...extra },
  });
  const list = [
    manifest("pg-old-style", "2026-05-01T03:00:00Z", "/postgres__app__manifest.json"),
    manifest("meili-new-style", "2026-05-01T04:00:00Z", "/meilisearch__app__manifest.json", { for: "meilisearch" }),
    manifest("pg-dir-style", "2026-05-01T02:00:00Z", "/postgres/app/manifest.json"),
  ];

  it("tells the manifests of two kinds' targets of the same name apart by their for= tag", () => {
    expect(findManifest(list, { kind: "meilisearch", target: "app" })?.id).toBe("meili-new-style");
  });

  it("reads manifests written before the for= tag by the kind their path names", () => {
    expect(findManifest(list, { kind: "postgres", target: "app" })?.id).toBe("pg-old-style");
    expect(findManifest(list, { kind: "postgres", target: "app", at: new Date("2026-05-01T02:30:00Z") })?.id).toBe("pg-dir-style");
    expect(targetKindOf(list[2] as Snapshot)).toBe("postgres");
  });

  it("finds a run's own manifest and nothing for an unknown run", () => {
    expect(findManifest(list, { kind: "postgres", target: "app", run: "pg-dir-style" })?.id).toBe("pg-dir-style");
    expect(findManifest(list, { kind: "postgres", target: "app", run: "nope" })).toBeUndefined();
  });
});
