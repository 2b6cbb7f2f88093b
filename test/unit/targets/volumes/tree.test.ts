import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { countNode } from "../../../../src/restic/ls.js";
import { emptyCount } from "../../../../src/restic/repository.js";
import { compareCounts, countDirectory } from "../../../../src/targets/volumes/tree.js";

const node = (type: string, path: string, size?: number) =>
  JSON.stringify({ name: path.split("/").at(-1), type, path, size, message_type: "node", struct_type: "node" });

// As `restic ls --json` 0.18 prints a volume snapshot: the snapshot, the parents of the stored path,
// the stored path itself, then what is below it.
const LISTING = [
  JSON.stringify({ id: "3e754d02", paths: ["/var/lib/docker/volumes/v/_data"], message_type: "snapshot" }),
  node("dir", "/var"),
  node("dir", "/var/lib/docker/volumes/v"),
  JSON.stringify({ name: "_data", type: "dir", path: "/var/lib/docker/volumes/v/_data", uid: 472, gid: 999, mode: 2148532712, mtime: "2026-05-01T03:00:00Z", message_type: "node", struct_type: "node" }),
  node("file", "/var/lib/docker/volumes/v/_data/a.txt", 6),
  node("dir", "/var/lib/docker/volumes/v/_data/nested"),
  node("file", "/var/lib/docker/volumes/v/_data/nested/b.bin", 1000),
  node("file", "/var/lib/docker/volumes/v/_data/empty", 0),
  node("symlink", "/var/lib/docker/volumes/v/_data/link"),
  node("file", "/var/lib/docker/volumes/v/_data-other/not-below", 99),
];

describe("volume verify counts", () => {
  it("counts only what lies strictly below the stored path", () => {
    const count = emptyCount();
    for (const line of LISTING) countNode(count, line, "/var/lib/docker/volumes/v/_data");
    expect(count).toEqual({ files: 3, dirs: 1, symlinks: 1, other: 0, bytes: 1006, root: expect.anything() });
  });

  it("keeps the stored path's own owner, mode (sticky bit included) and time, for a restore to give back", () => {
    const count = emptyCount();
    for (const line of LISTING) countNode(count, line, "/var/lib/docker/volumes/v/_data");
    expect(count.root).toEqual({ uid: 472, gid: 999, mode: 0o1750, mtime: "2026-05-01T03:00:00Z" });
  });

  it("counts a restored directory the same way, and names every difference", async () => {
    const dir = mkdtempSync(join(tmpdir(), "volume-verify-"));
    writeFileSync(join(dir, "a.txt"), "hello\n");
    mkdirSync(join(dir, "nested"));
    writeFileSync(join(dir, "nested/b.bin"), Buffer.alloc(1000));
    writeFileSync(join(dir, "empty"), "");
    symlinkSync("a.txt", join(dir, "link"));
    const stored = emptyCount();
    for (const line of LISTING) countNode(stored, line, "/var/lib/docker/volumes/v/_data");
    const restored = await countDirectory(dir, AbortSignal.timeout(5_000));
    expect(compareCounts(stored, restored)).toBeUndefined();

    writeFileSync(join(dir, "nested/b.bin"), Buffer.alloc(10));
    expect(compareCounts(stored, await countDirectory(dir, AbortSignal.timeout(5_000)))).toBe(
      "16 bytes restored but 1006 in the snapshot",
    );
    expect(compareCounts(stored, { ...restored, files: 2 })).toBe("2 files restored but 3 in the snapshot");
  });
});
