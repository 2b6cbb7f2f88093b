import { lstatSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { execa } from "execa";
import tar from "tar-stream";
import { describe, expect, it } from "vitest";
import { type ListedNode, nodesBelow, paxTime, withExactTimes } from "../../../src/restic/exact-tar.js";

/** An archive as restic writes one: names below the stored path, times rounded to the second. */
function resticLikeTar(entries: { name: string; type?: "directory" | "symlink"; data?: string; linkname?: string; pax?: Record<string, string> }[]): Readable {
  const pack = tar.pack();
  for (const e of entries) {
    pack.entry({ name: e.name, type: e.type ?? "file", mode: 0o640, mtime: new Date("2020-02-29T12:34:56Z"), linkname: e.linkname, pax: e.pax }, e.data ?? "");
  }
  pack.finalize();
  return pack as unknown as Readable;
}

async function* list(nodes: ListedNode[]): AsyncGenerator<ListedNode> {
  yield* nodes;
}

/** Extracts with GNU tar, as the restore helper does; returns the directory. */
async function extracted(stream: Readable): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "exact-tar-"));
  await execa("tar", ["-x", "-p", "--xattrs", "--strip-components=2", "-C", dir], { input: stream });
  return dir;
}

describe("paxTime", () => {
  it("gives an RFC 3339 time as exact decimal seconds, offsets applied, trailing zeros dropped", () => {
    expect(paxTime("2020-02-29T12:34:56.123456789Z")).toBe("1582979696.123456789");
    expect(paxTime("2020-02-29T13:34:56.5+01:00")).toBe("1582979696.5");
    expect(paxTime("2020-02-29T12:34:56.000000000Z")).toBe("1582979696");
    expect(paxTime("1969-12-31T23:59:59Z")).toBeUndefined();
    expect(paxTime("yesterday")).toBeUndefined();
  });
});

describe("withExactTimes", () => {
  it("restores every entry's time to the nanosecond, content and links unchanged", async () => {
    const archive = resticLikeTar([
      { name: "volumes/app/docs", type: "directory" },
      { name: "volumes/app/docs/été.txt", data: "bonjour" },
      { name: "volumes/app/link", type: "symlink", linkname: "docs/été.txt" },
    ]);
    const nodes = list([
      { path: "/volumes/app/docs", type: "dir", mtime: "2019-01-01T00:00:00.25Z" },
      { path: "/volumes/app/docs/été.txt", type: "file", mtime: "2020-02-29T12:34:56.123456789Z", atime: "2021-01-01T00:00:00.5Z" },
      { path: "/volumes/app/link", type: "symlink", mtime: "2021-03-01T01:02:03.5Z" },
    ]);
    const { stdout, done } = withExactTimes(archive, nodes);
    const dir = await extracted(stdout);
    expect(await done).toEqual({ inexact: 0 });
    expect(lstatSync(join(dir, "docs/été.txt"), { bigint: true }).mtimeNs).toBe(1582979696123456789n);
    expect(lstatSync(join(dir, "docs"), { bigint: true }).mtimeNs).toBe(1546300800250000000n);
    expect(lstatSync(join(dir, "link"), { bigint: true }).mtimeNs).toBe(1614560523500000000n);
    expect(readFileSync(join(dir, "link"), "utf8")).toBe("bonjour");
  });

  it("keeps restic's own PAX records (extended attributes) and names longer than ustar allows", async () => {
    const long = `volumes/app/${"d".repeat(120)}/${"f".repeat(90)}`;
    const archive = resticLikeTar([{ name: long, data: "x", pax: { "SCHILY.xattr.user.note": "kept" } }]);
    const { stdout, done } = withExactTimes(archive, list([{ path: `/${long}`, type: "file", mtime: "2020-02-29T12:34:56.1Z" }]));
    const seen: { name: string; pax: unknown }[] = [];
    const reader = tar.extract();
    reader.on("entry", (header, stream, next) => {
      seen.push({ name: header.name, pax: header.pax });
      stream.resume();
      stream.on("end", next);
    });
    await new Promise((resolve, reject) => {
      reader.on("finish", () => resolve(undefined));
      reader.on("error", reject);
      stdout.pipe(reader as unknown as NodeJS.WritableStream);
    });
    await done;
    expect(seen).toEqual([{ name: long, pax: expect.objectContaining({ "SCHILY.xattr.user.note": "kept", mtime: "1582979696.1" }) }]);
  });

  it("counts what it could not pair, from the first entry the listing does not match, and keeps it as restic wrote it", async () => {
    const archive = resticLikeTar([{ name: "volumes/app/a", data: "1" }, { name: "volumes/app/b", data: "2" }]);
    const { stdout, done } = withExactTimes(archive, list([{ path: "/volumes/app/zzz", type: "file", mtime: "2020-02-29T12:34:56.1Z" }]));
    const dir = await extracted(stdout);
    expect(await done).toEqual({ inexact: 2, firstInexact: "/volumes/app/a" });
    expect(lstatSync(join(dir, "b"), { bigint: true }).mtimeNs).toBe(1582979696000000000n);
  });

  it("fails, loudly, on a name that is not valid UTF-8 instead of restoring it under another name", async () => {
    const archive = resticLikeTar([{ name: "volumes/app/caf\uFFFD", data: "1" }]);
    const { stdout, done } = withExactTimes(archive, list([]));
    stdout.resume();
    await expect(done).rejects.toThrow(/not valid UTF-8 \(volumes\/app\/caf/);
  });
});

describe("nodesBelow", () => {
  it("yields the files, directories and symlinks strictly below the root, in the listing's order", async () => {
    const lines = [
      '{"message_type":"snapshot","id":"x"}',
      '{"message_type":"node","path":"/volumes","type":"dir"}',
      '{"message_type":"node","path":"/volumes/app","type":"dir"}',
      '{"message_type":"node","path":"/volumes/app/b","type":"file"}',
      '{"message_type":"node","path":"/volumes/app/fifo","type":"fifo"}',
      '{"message_type":"node","path":"/volumes/apple/c","type":"file"}',
      "",
    ].join("\n");
    const seen: string[] = [];
    for await (const node of nodesBelow(Readable.from([lines]), "/volumes/app")) seen.push(node.path);
    expect(seen).toEqual(["/volumes/app/b"]);
  });
});
