// An in-memory Repository for unit tests of everything above restic/: snapshots with their files,
// an open-upload count (a lock a run would leave), and failures injected by operation. Longer than
// most files on purpose: it implements the whole Repository interface, and passes its conformance suite.
import { createHash, randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { Readable, Writable } from "node:stream";
import tar from "tar-stream";
import { resticError } from "./errors.js";
import type {
  DumpStream,
  TreeDumpStream,
  PathBackupResult,
  Repository,
  RestoreOptions,
  RestoreSummary,
  Snapshot,
  SnapshotSaved,
  StdinUpload,
  TreeCount,
} from "./repository.js";
import { emptyCount } from "./repository.js";
import { parseTags } from "./tags.js";

export type Operation = "openStdin" | "backupPath" | "snapshots" | "dump" | "dumpTree" | "restore" | "countTree" | "forget" | "prune" | "check" | "copyFrom" | "unlock" | "ensureInitialised" | "exists";

type Node = { type: "file"; data: Buffer } | { type: "dir" } | { type: "symlink"; target: string };

/** A stored snapshot: path (absolute, as restic stores it) → node. */
export interface MemorySnapshot extends Snapshot {
  nodes: Map<string, Node>;
}

export class MemoryRepository implements Repository {
  readonly display: string;
  readonly stored: MemorySnapshot[] = [];
  /** Every call, as "operation arg", for assertions. */
  readonly calls: string[] = [];
  /** The next call of an operation rejects with this error (then the entry is removed). */
  readonly failures = new Map<Operation, Error>();
  /** Uploads opened and neither committed nor aborted: what a killed restic would leave locked. */
  openUploads = 0;
  /** An upload that receives more than this many bytes fails as if restic died. */
  dieAfterBytes: number | undefined;
  initialised = true;
  /** A `check` fails naming this pack, as restic does for damaged data. */
  damagedPack: string | undefined;
  now: () => Date = () => new Date();

  constructor(display = "memory") {
    this.display = display;
  }

  /** Adds a snapshot directly (synthetic history); returns it. */
  add(s: { time: Date; tags: readonly string[]; files?: Record<string, string | Buffer>; host?: string }): MemorySnapshot {
    const nodes = new Map<string, Node>();
    for (const [path, data] of Object.entries(s.files ?? {})) nodes.set(path, { type: "file", data: Buffer.from(data) });
    const size = [...nodes.values()].reduce((n, v) => n + (v.type === "file" ? v.data.length : 0), 0);
    const snapshot: MemorySnapshot = {
      id: randomBytes(32).toString("hex"),
      time: s.time,
      rawTime: s.time.toISOString(),
      paths: Object.keys(s.files ?? {}).slice(0, 1),
      hostname: s.host ?? "backup-agent",
      tags: parseTags(s.tags),
      totalBytes: size,
      durationSeconds: 0,
      nodes,
    };
    this.stored.push(snapshot);
    this.stored.sort((a, b) => a.time.getTime() - b.time.getTime());
    return snapshot;
  }

  /** Flips one byte of a stored file: the bytes read back no longer match what was recorded. */
  corrupt(snapshotId: string): void {
    for (const node of this.#get(snapshotId).nodes.values()) {
      if (node.type === "file" && node.data.length > 0) node.data[0] = (node.data[0] ?? 0) ^ 0xff;
    }
  }

  async openStdin(options: { parts: readonly string[]; tags: readonly string[] }, signal: AbortSignal): Promise<StdinUpload> {
    this.#enter("openStdin", options.parts.join("/"));
    signal.throwIfAborted();
    this.openUploads++;
    const chunks: Buffer[] = [];
    let received = 0;
    let died: Error | undefined;
    let settled = false;
    const early: (() => void)[] = [];
    const filename = options.parts.join("/");
    const stdin = new Writable({
      highWaterMark: 1 << 16,
      write: (chunk: Buffer, _e, done) => {
        received += chunk.length;
        if (!died && this.dieAfterBytes !== undefined && received > this.dieAfterBytes) {
          died = resticError("backup", 1, "Fatal: unable to save snapshot: the repository went away");
          this.openUploads--;
          for (const cb of early.splice(0)) if (!settled) cb();
        }
        if (!died) chunks.push(chunk);
        done();
      },
    });
    const finish = () => {
      if (!settled && !died) this.openUploads--;
      settled = true;
    };
    return {
      filename,
      lastWords: "",
      stdin,
      onEarlyExit: (cb) => void (died ? queueMicrotask(cb) : early.push(cb)),
      ready: async (readySignal) => !died && !readySignal.aborted,
      commit: async (bytes, commitSignal): Promise<SnapshotSaved> => {
        const failure = died ?? (commitSignal.aborted ? (commitSignal.reason as Error) : undefined);
        finish();
        if (failure) throw failure;
        const data = Buffer.concat(chunks);
        if (data.length !== bytes) throw resticError("backup", 1, `the gate refused: ${data.length} bytes arrived, ${bytes} committed`);
        const s = this.add({ time: this.now(), tags: options.tags, files: { [`/${filename}`]: data } });
        return { snapshotId: s.id, dataAdded: data.length, totalBytes: data.length };
      },
      abort: async () => {
        const failure = died;
        finish();
        return failure;
      },
    };
  }

  async backupPath(path: string, tags: readonly string[], signal: AbortSignal): Promise<PathBackupResult> {
    this.#enter("backupPath", path);
    signal.throwIfAborted();
    const s = this.add({ time: this.now(), tags });
    s.paths = [path];
    s.nodes.set(path, { type: "dir" });
    await readTree(path, path, s.nodes);
    const files = [...s.nodes.values()].filter((n) => n.type === "file") as { data: Buffer }[];
    s.totalBytes = files.reduce((n, f) => n + f.data.length, 0);
    return { snapshotId: s.id, dataAdded: s.totalBytes, totalBytes: s.totalBytes, totalFiles: files.length };
  }

  async snapshots(signal: AbortSignal): Promise<Snapshot[]> {
    this.#enter("snapshots", "");
    signal.throwIfAborted();
    return this.stored.map(({ nodes: _n, ...s }) => ({ ...s, tags: { ...s.tags }, paths: [...s.paths] }));
  }

  dump(snapshotId: string, path: string, signal: AbortSignal): DumpStream {
    try {
      this.#enter("dump", `${snapshotId.slice(0, 8)} ${path}`);
      signal.throwIfAborted();
      const node = this.#get(snapshotId).nodes.get(path);
      if (node?.type !== "file") throw resticError(`dump ${snapshotId.slice(0, 8)} ${path}`, 1, `path ${path} not found in snapshot`);
      const done = Promise.resolve();
      return { stdout: Readable.from([node.data]), done };
    } catch (error) {
      const done = Promise.reject(error);
      done.catch(() => undefined);
      return { stdout: Readable.from([]), done };
    }
  }

  dumpTree(snapshotId: string, path: string, signal: AbortSignal): TreeDumpStream {
    const pack = tar.pack();
    const done = (async () => {
      this.#enter("dumpTree", `${snapshotId.slice(0, 8)} ${path}`);
      signal.throwIfAborted();
      const prefix = path.replace(/^\/+|\/+$/g, "");
      for (const [rel, node] of this.#below(snapshotId, path)) {
        const name = `${prefix}/${rel}`;
        if (node.type === "dir") pack.entry({ name, type: "directory", mode: 0o755 });
        else if (node.type === "symlink") pack.entry({ name, type: "symlink", linkname: node.target });
        else pack.entry({ name, mode: 0o644 }, node.data);
      }
      pack.finalize();
      return { inexactTimes: 0 };
    })();
    done.catch((error: unknown) => pack.destroy(error as Error));
    return { stdout: pack as unknown as Readable, done };
  }

  async restore(options: RestoreOptions, signal: AbortSignal): Promise<RestoreSummary> {
    this.#enter("restore", `${options.snapshotId.slice(0, 8)} ${options.target}`);
    signal.throwIfAborted();
    const summary = { filesRestored: 0, bytesRestored: 0, filesDeleted: 0 };
    for (const [path, node] of this.#below(options.snapshotId, options.path)) {
      const to = join(options.target, path);
      if (node.type === "dir") await mkdir(to, { recursive: true });
      else if (node.type === "symlink") await symlink(node.target, to);
      else {
        await writeFile(to, node.data);
        summary.filesRestored++;
        summary.bytesRestored += node.data.length;
      }
    }
    return summary;
  }

  async countTree(snapshotId: string, root: string, signal: AbortSignal): Promise<TreeCount> {
    this.#enter("countTree", snapshotId.slice(0, 8));
    signal.throwIfAborted();
    const count = emptyCount();
    for (const [, node] of this.#below(snapshotId, root)) {
      if (node.type === "file") {
        count.files++;
        count.bytes += node.data.length;
      } else if (node.type === "dir") count.dirs++;
      else count.symlinks++;
    }
    return count;
  }

  async forget(ids: readonly string[], signal: AbortSignal): Promise<void> {
    this.#enter("forget", ids.map((id) => id.slice(0, 8)).join(" "));
    signal.throwIfAborted();
    for (const id of ids) this.stored.splice(this.stored.indexOf(this.#get(id)), 1);
  }

  async prune(signal: AbortSignal): Promise<void> {
    this.#enter("prune", "");
    signal.throwIfAborted();
  }

  async check(subset: string | undefined, signal: AbortSignal): Promise<void> {
    this.#enter("check", subset ?? "");
    signal.throwIfAborted();
    if (this.damagedPack) throw resticError("check", 1, `error: pack ${this.damagedPack}: not referenced in any index | Fatal: repository contains errors`);
  }

  async copyFrom(source: Repository, signal: AbortSignal): Promise<void> {
    this.#enter("copyFrom", source.display);
    signal.throwIfAborted();
    if (!(source instanceof MemoryRepository)) throw new Error("a memory repository copies only from another");
    // As restic copy does: each copy gets an id of its own and remembers the one it copies.
    for (const s of source.stored) {
      const original = s.original ?? s.id;
      if (!this.stored.some((t) => (t.original ?? t.id) === original)) {
        this.stored.push({ ...s, id: createHash("sha256").update(`copy of ${original} in ${this.display}`).digest("hex"), original, nodes: new Map(s.nodes) });
      }
    }
    this.stored.sort((a, b) => a.time.getTime() - b.time.getTime());
  }

  async unlock(signal: AbortSignal): Promise<void> {
    this.#enter("unlock", "");
    signal.throwIfAborted();
  }

  async ensureInitialised(signal: AbortSignal): Promise<boolean> {
    this.#enter("ensureInitialised", "");
    signal.throwIfAborted();
    if (this.initialised) return false;
    this.initialised = true;
    return true;
  }

  async exists(signal: AbortSignal): Promise<boolean> {
    this.#enter("exists", "");
    signal.throwIfAborted();
    return this.initialised;
  }

  #enter(op: Operation, arg: string): void {
    this.calls.push(`${op} ${arg}`.trim());
    const failure = this.failures.get(op);
    if (failure) {
      this.failures.delete(op);
      throw failure;
    }
    if (!this.initialised && op !== "ensureInitialised" && op !== "exists") throw resticError(op, 10, "Fatal: repository does not exist");
  }

  #get(id: string): MemorySnapshot {
    const s = this.stored.find((x) => x.id === id || (id.length >= 8 && x.id.startsWith(id)));
    if (!s) throw resticError("find", 1, `Fatal: no matching ID found for prefix "${id}"`);
    return s;
  }

  /** Nodes strictly below `root`, as paths relative to it, parents first. */
  #below(snapshotId: string, root: string): [string, Node][] {
    const prefix = root.endsWith("/") ? root : `${root}/`;
    return [...this.#get(snapshotId).nodes.entries()]
      .filter(([p]) => p.startsWith(prefix))
      .map(([p, n]): [string, Node] => [p.slice(prefix.length), n])
      .sort(([a], [b]) => a.split("/").length - b.split("/").length || a.localeCompare(b));
  }
}

async function readTree(root: string, dir: string, nodes: Map<string, Node>): Promise<void> {
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const key = posix.join(root, posix.relative(root, path));
    const st = await lstat(path);
    if (st.isDirectory()) {
      nodes.set(key, { type: "dir" });
      await readTree(root, path, nodes);
    } else if (st.isSymbolicLink()) nodes.set(key, { type: "symlink", target: await readlink(path) });
    else nodes.set(key, { type: "file", data: await readFile(path) });
  }
}
