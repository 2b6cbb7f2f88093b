// restic's tar (Go's archive/tar with no format asked for) rounds every time to the second; the
// snapshot's listing (`restic ls --json`) has them to the nanosecond. `withExactTimes` re-packs the
// archive entry by entry with each one's exact modification and access time as PAX records, which
// GNU tar applies on extraction. Entries are paired with listing nodes in walk order (dump and ls walk
// the tree the same way: depth first, by name), checked by path. Both stream: memory stays flat.
import { createInterface } from "node:readline";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar, { type Header } from "tar-stream";

/** A node of `restic ls --json`, as far as the pairing needs it. */
export interface ListedNode {
  path: string;
  type: string;
  mtime?: string;
  atime?: string;
}

/** What the re-pack did: entries that kept restic's rounded times (a pairing that broke off). */
export interface ExactTimesResult {
  inexact: number;
  firstInexact?: string;
}

/** "2020-02-29T12:34:56.123456789+01:00" → "1582976096.123456789", exactly; undefined before 1970 or unparsable. */
export function paxTime(rfc3339: string | undefined): string | undefined {
  const m = /^(\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(rfc3339 ?? "");
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]}${m[3]}`) / 1000;
  if (!Number.isSafeInteger(seconds) || seconds < 0) return undefined;
  const fraction = (m[2] ?? "").replace(/0+$/, "");
  return fraction ? `${seconds}.${fraction}` : String(seconds);
}

/**
 * The listing's nodes strictly below `root` that restic's dump writes (files, directories, symlinks),
 * in order. Reading starts now (execa drains an output nobody reads), paused while 1024 lines wait.
 */
export function nodesBelow(lines: Readable, root: string): AsyncGenerator<ListedNode> {
  const prefix = `${root.replace(/\/+$/, "")}/`;
  const iterator = createInterface({ input: lines, crlfDelay: Infinity })[Symbol.asyncIterator]();
  return (async function* () {
    for await (const line of { [Symbol.asyncIterator]: () => iterator }) {
      if (!line.startsWith("{")) continue;
      const node = JSON.parse(line) as ListedNode & { message_type?: string };
      if (node.message_type !== "node" || !node.path?.startsWith(prefix)) continue;
      if (node.type === "file" || node.type === "dir" || node.type === "symlink") yield node;
    }
  })();
}

/**
 * The archive with exact times. A name that is not valid UTF-8 (tar-stream and restic's JSON would
 * both change it) fails the stream, loudly, rather than restore a file under another name.
 */
export function withExactTimes(archive: Readable, nodes: AsyncIterator<ListedNode>): { stdout: Readable; done: Promise<ExactTimesResult> } {
  const out = new PassThrough();
  const packer = tar.pack();
  const result: ExactTimesResult = { inexact: 0 };
  let paired = true;
  const repack = async () => {
    const entries = tar.extract();
    const feeding = pipeline(archive, entries as unknown as NodeJS.WritableStream);
    feeding.catch(() => undefined);
    for await (const entry of entries) {
      const header: Header = { ...entry.header };
      const name = header.name.replace(/\/+$/, "");
      if (name.includes("\uFFFD") || header.linkname?.includes("\uFFFD")) {
        throw new Error(`a name in the snapshot is not valid UTF-8 (${name}): restore this volume with restic on the host, as root`);
      }
      // Restic's own records (xattrs, large ids and sizes) are kept; path and link come from the header.
      const { path: _path, linkpath: _linkpath, ...kept } = (header.pax ?? {}) as Record<string, string>;
      header.pax = Object.keys(kept).length ? kept : null;
      const node = paired ? ((await nodes.next()).value as ListedNode | undefined) : undefined;
      if (paired && node?.path === `/${name}`) {
        const mtime = paxTime(node.mtime);
        const atime = paxTime(node.atime) ?? mtime;
        if (mtime) header.pax = { ...kept, mtime, ...(atime ? { atime } : {}) };
      } else {
        paired = false;
        result.inexact++;
        result.firstInexact ??= `/${name}`;
      }
      await pipeline(entry as unknown as NodeJS.ReadableStream, packer.entry(header) as unknown as NodeJS.WritableStream);
    }
    await feeding;
    packer.finalize();
    // The rest of the listing is read, so that `restic ls` can end.
    while (!(await nodes.next()).done);
  };
  const piping = pipeline(packer as unknown as NodeJS.ReadableStream, out);
  piping.catch(() => undefined);
  const done = (async () => {
    try {
      await repack();
    } catch (error) {
      packer.destroy(error as Error);
      throw error;
    }
    await piping;
    return result;
  })();
  done.catch((error: unknown) => out.destroy(error as Error));
  return { stdout: out, done };
}
