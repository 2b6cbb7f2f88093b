// Row counts taken from the pg_dump archive the agent already streams (COPY text, a row per line), not a second count(*) read.
import type { RowCounts } from "../manifest.js";

// The archive layout, as src/bin/pg_dump/pg_backup_archiver.c (WriteHead/ReadHead, WriteToc/ReadToc, WriteInt/
// ReadInt, WriteStr/ReadStr, ReadOffset) and pg_backup_custom.c (_StartData/_EndData, _StartLOs/_EndLOs,
// _WriteExtraToc) write and read it. Archive versions: 1.14 (PostgreSQL 12–15), 1.15 (16), 1.16 (17, 18).
const archiveVersion = (major: number, minor: number, rev = 0) => (major * 256 + minor) * 256 + rev;
const K_VERS_1_12 = archiveVersion(1, 12); // the oldest read here (PostgreSQL 9.0); all older fields are present
const K_VERS_1_14 = archiveVersion(1, 14); // each TOC entry gains tableam (a string)
const K_VERS_1_15 = archiveVersion(1, 15); // the header holds the compression algorithm (a byte), not a level (an int)
const K_VERS_1_16 = archiveVersion(1, 16); // each TOC entry gains relkind (an int)
const NEWEST_KNOWN = archiveVersion(1, 16, 255);
const FORMAT_CUSTOM = 1; // pg_backup.h: archCustom
const FORMATS: Record<number, string> = { 3: "tar", 4: "plain", 5: "directory" };
const ALGORITHMS = ["none", "gzip", "lz4", "zstd"]; // common/compression.h: pg_compress_algorithm
const BLK_DATA = 1;
const BLK_BLOBS = 3;
const OFFSET_NO_DATA = 3; // K_OFFSET_NO_DATA: the entry has no data block
// dumpTableData_copy() ends every COPY block with archprintf("\\.\n\n\n") (PostgreSQL 9.0 to 18 alike).
const TERMINATOR_LINES = 3;
const END_MARK_5 = 0x5c2e0a0a0a; // "\\.\n\n\n": a block with no rows
const END_MARK_6 = 0x0a5c2e0a0a0a; // "\n\\.\n\n\n": the last row, then the terminator
const TWO_40 = 2 ** 40;
const HEAD_LIMIT = 128 * 1024 * 1024; // a TOC entry (or header) larger than this is not believed, nor buffered

/** Keys of RowCounts: each identifier bare when it matches this, else double-quoted with `"` doubled. */
export const BARE_IDENTIFIER = /^[a-z_][a-z0-9_$]*$/;
const ident = (name: string) => (BARE_IDENTIFIER.test(name) ? name : `"${name.replaceAll('"', '""')}"`);

/** `schema.table` as RowCounts keys it: like quote_ident, but without its reserved-keyword rule. */
export function tableKey(schema: string, table: string): string {
  return `${ident(schema)}.${ident(table)}`;
}

/** Thrown inside the header/TOC reader when the bytes so far end inside a field; never escapes write(). */
const NEED_MORE = Symbol("need more bytes");

/** Reads the archive's integers and strings from a buffer that holds the header and TOC read so far. */
class Cursor {
  /** After NEED_MORE: how many bytes the buffer must hold before the read can succeed. */
  need = 0;
  intSize = 4;
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  #take(n: number): number {
    const at = this.pos;
    if (n > HEAD_LIMIT) throw new Error(`a field of ${n} bytes in the table of contents is not believable`);
    if (at + n > this.end) {
      this.need = at + n;
      throw NEED_MORE;
    }
    this.pos = at + n;
    return at;
  }
  byte(): number {
    return this.buf[this.#take(1)]!;
  }
  int(): number {
    return decodeInt(this.buf, this.#take(1 + this.intSize), this.intSize);
  }
  /** A string (UTF-8), or null for WriteStr(NULL). */
  str(): string | null {
    const length = this.int();
    if (length < 0) return null;
    const at = this.#take(length);
    return this.buf.toString("utf8", at, at + length);
  }
  skipStr(): void {
    const length = this.int();
    if (length > 0) this.#take(length);
  }
}

/** WriteInt's layout: a sign byte, then `size` bytes of magnitude, least significant first. */
function decodeInt(buf: Buffer, at: number, size: number): number {
  let value: number;
  if (size === 4) value = buf[at + 1]! + buf[at + 2]! * 0x100 + buf[at + 3]! * 0x10000 + buf[at + 4]! * 0x1000000;
  else {
    value = 0;
    for (let k = size; k >= 1; k--) value = value * 256 + buf[at + k]!;
    if (!Number.isSafeInteger(value)) throw new Error(`an integer of ${size} bytes is too large`);
  }
  return buf[at] === 0 ? value : -value;
}

/** Newlines in buf[start, end): a plain loop for a short row, Buffer.indexOf (memchr) for long runs. */
function countNewlines(buf: Buffer, start: number, end: number): number {
  let n = 0;
  if (end - start < 64) {
    for (let k = start; k < end; k++) if (buf[k] === 10) n++;
    return n;
  }
  for (let k = buf.indexOf(10, start); k !== -1 && k < end; k = buf.indexOf(10, k + 1)) {
    n++;
    if (k + 1 === end) break; // a row ends the run: do not scan on into the next one
  }
  return n;
}

interface Entry {
  /** For messages: `table app.x`, `BLOBS`, … */
  what: string;
  /** TABLE DATA only: tableKey() of its table. */
  key: string | undefined;
  /** The TOC says a data block follows for it. */
  hasData: boolean;
  seen: boolean;
  rows: number;
}

// Where the data section's reader is (the data section follows the TOC, one block per entry with data).
const S_BLOCK = 0; // before a block's type byte; the only place a complete archive may end
const S_ID = 1; // in the block's dump id
const S_LEN = 2; // in a BLK_DATA chunk length (0 ends the block)
const S_DATA = 3; // in a BLK_DATA chunk
const S_OID = 4; // in a BLK_BLOBS large object's OID (0 ends the block)
const S_LO_LEN = 5; // in a large object's chunk length (0 ends the object)
const S_LO_DATA = 6; // in a large object's chunk

/**
 * Counts rows per table in a pg_dump custom-format archive (pg_dump -Fc --compress=0) as it streams by.
 * Only TABLE DATA entries count (one per table or leaf partition): a row is a line of COPY text. Sequences,
 * materialized views and large objects have no count. What it cannot read with certainty gives `{ unavailable }`,
 * never a number: a compressed archive, an archive version newer than 1.16, an archive cut anywhere short of its
 * end (the TOC names every data block due), bytes that do not parse. A byte changed inside a row's text cannot be
 * seen (the archive has no checksums): the caller counts only dumps whose pg_dump exited 0.
 */
export class DumpRowCounter {
  #failure: string | undefined;
  #bytes = 0;
  // Header and TOC: buffered (small, and first), parsed one entry at a time.
  #head: Buffer | undefined = Buffer.alloc(0);
  #headLen = 0;
  #need = 0;
  #checkpoint = 0;
  #headerDone = false;
  #version = 0;
  #intSize = 4;
  #offSize = 8;
  #entriesLeft = 0;
  #entries = new Map<number, Entry>();
  #encoding = "";
  // Data section.
  #state = S_BLOCK;
  #blockType = 0;
  #field = Buffer.alloc(9);
  #fieldHave = 0;
  #value = 0;
  #entry: Entry | undefined;
  #remaining = 0;
  #newlines = 0;
  #tail = 0; // the block's last 6 bytes, big-endian, up to the range below
  #tailBuf: Buffer | undefined;
  #tailStart = 0;
  #tailStop = 0;
  #blockBytes = 0;

  /** Feed the archive's bytes in order (chunks split anywhere, even inside a length or a header). Never throws. */
  write(chunk: Buffer): void {
    if (this.#failure !== undefined || chunk.length === 0) return;
    this.#bytes += chunk.length;
    try {
      if (this.#head) this.#readHead(chunk);
      else this.#readData(chunk, 0);
    } catch (error) {
      this.#fail(`the archive could not be read: ${(error as Error).message}`);
    }
  }

  /** After the last byte: rows per table, or why this archive cannot be counted. Changes nothing. */
  result(): { tables: RowCounts } | { unavailable: string } {
    if (this.#failure !== undefined) return { unavailable: this.#failure };
    if (this.#head) {
      return {
        unavailable: this.#bytes === 0
          ? "the archive is empty"
          : `the archive ends after ${this.#bytes} bytes, inside its ${this.#headerDone ? "table of contents" : "header"}: it was cut short`,
      };
    }
    if (this.#state !== S_BLOCK) {
      const inside = this.#state === S_ID ? "a data block's header" : `the data of ${this.#entry?.what ?? "an entry"}`;
      return { unavailable: `the archive ends after ${this.#bytes} bytes, inside ${inside}: it was cut short` };
    }
    const expected = [...this.#entries.values()].filter((e) => e.hasData);
    const missing = expected.filter((e) => !e.seen);
    if (missing.length > 0) {
      return {
        unavailable: `the archive ends after ${this.#bytes} bytes, before the data of ${missing.length} of its ${expected.length} entries with data (the first is ${missing[0]!.what}): it was cut short`,
      };
    }
    const tables = Object.create(null) as RowCounts;
    for (const entry of expected) if (entry.key !== undefined) tables[entry.key] = entry.rows;
    return { tables };
  }

  #fail(reason: string): void {
    this.#failure ??= reason;
    this.#head = undefined;
  }

  /** Reads as many whole header/TOC entries as the bytes so far hold, keeping the rest; then hands over to #readData. */
  #readHead(chunk: Buffer): void {
    let buf = chunk;
    let length = chunk.length;
    if (this.#headLen > 0) {
      if (!this.#keep(chunk, 0, chunk.length)) return;
      buf = this.#head!;
      length = this.#headLen;
      if (length < this.#need) return;
    }
    const cursor = new Cursor(buf, this.#checkpoint, length);
    cursor.intSize = this.#intSize;
    try {
      if (!this.#headerDone) {
        if (!this.#readHeader(cursor)) return;
        this.#checkpoint = cursor.pos;
      }
      while (this.#entriesLeft > 0) {
        if (!this.#readEntry(cursor)) return;
        this.#entriesLeft--;
        this.#checkpoint = cursor.pos;
      }
    } catch (error) {
      if (error !== NEED_MORE) throw error;
      // Keep the bytes from the entry being read on; earlier ones are done with.
      const from = this.#checkpoint;
      if (buf === chunk) {
        this.#checkpoint = 0;
        if (!this.#keep(chunk, from, length)) return;
      } else if (from > 0 && from >= length / 2) {
        buf.copyWithin(0, from, length);
        this.#headLen -= from;
        this.#checkpoint = 0;
      }
      this.#need = cursor.need - from + this.#checkpoint;
      return;
    }
    if (!this.#tocReady()) return;
    this.#head = undefined;
    this.#readData(buf.subarray(cursor.pos, length), 0);
  }

  /** Appends buf[from, to) to the header/TOC bytes kept so far. */
  #keep(buf: Buffer, from: number, to: number): boolean {
    let head = this.#head!;
    const length = this.#headLen + to - from;
    if (length > HEAD_LIMIT) {
      this.#fail(`the archive's header or a table of contents entry is larger than ${HEAD_LIMIT} bytes`);
      return false;
    }
    if (length > head.length) {
      const grown = Buffer.allocUnsafe(Math.min(Math.max(head.length * 2, length, 64 * 1024), HEAD_LIMIT));
      head.copy(grown, 0, 0, this.#headLen);
      this.#head = head = grown;
    }
    buf.copy(head, this.#headLen, from, to);
    this.#headLen = length;
    return true;
  }

  /** ReadHead(), then the TOC's entry count. False when the archive cannot be counted (failure set). */
  #readHeader(c: Cursor): boolean {
    const magic = c.buf.toString("latin1", c.pos, Math.min(c.pos + 5, c.end));
    if (!"PGDMP".startsWith(magic)) {
      this.#fail(`the archive does not start with PGDMP: it is not a pg_dump custom-format archive`);
      return false;
    }
    for (let k = 0; k < 5; k++) c.byte();
    const major = c.byte();
    const minor = c.byte();
    const rev = c.byte();
    this.#version = archiveVersion(major, minor, rev);
    if (this.#version > NEWEST_KNOWN) {
      this.#fail(`the archive's format version ${major}.${minor} is newer than this counter knows (1.16, PostgreSQL 17 and 18)`);
      return false;
    }
    if (this.#version < K_VERS_1_12) {
      this.#fail(`the archive's format version ${major}.${minor} is older than this counter reads (1.12, PostgreSQL 9.0)`);
      return false;
    }
    this.#intSize = c.intSize = c.byte();
    this.#offSize = c.byte();
    if (this.#intSize < 1 || this.#intSize > 8 || this.#offSize < 1 || this.#offSize > 16) {
      this.#fail(`the archive's header has impossible integer sizes (${this.#intSize}, ${this.#offSize})`);
      return false;
    }
    const format = c.byte();
    if (format !== FORMAT_CUSTOM) {
      this.#fail(`the archive is in pg_dump's ${FORMATS[format] ?? `#${format}`} format, not custom (-Fc)`);
      return false;
    }
    if (this.#version >= K_VERS_1_15) {
      const algorithm = c.byte();
      if (algorithm !== 0) {
        this.#fail(`the archive's data is compressed (${ALGORITHMS[algorithm] ?? `algorithm #${algorithm}`}): rows can be counted only in a --compress=0 dump`);
        return false;
      }
    } else {
      const level = c.int();
      if (level !== 0) {
        this.#fail(`the archive's data is compressed (gzip, level ${level === -1 ? "default" : level}): rows can be counted only in a --compress=0 dump`);
        return false;
      }
    }
    for (let k = 0; k < 7; k++) c.int(); // creation time, as struct tm fields
    c.skipStr(); // database name
    c.skipStr(); // server version
    c.skipStr(); // pg_dump version
    const count = c.int();
    if (count < 0) throw new Error(`the table of contents claims ${count} entries`);
    this.#entriesLeft = count;
    this.#headerDone = true;
    return true;
  }

  /** ReadToc() for one entry, with pg_backup_custom.c's extra: the data offset. */
  #readEntry(c: Cursor): boolean {
    const v = this.#version;
    const id = c.int();
    if (id <= 0) throw new Error(`a table of contents entry has dump id ${id}`);
    const hadDumper = c.int() !== 0;
    c.skipStr(); // catalog tableoid
    c.skipStr(); // catalog oid
    const tag = c.str() ?? "";
    const desc = c.str() ?? "";
    c.int(); // section
    const defn = desc === "ENCODING" ? c.str() : (c.skipStr(), null);
    c.skipStr(); // drop statement
    const copy = desc === "TABLE DATA" ? c.str() : (c.skipStr(), null);
    const namespace = c.str() ?? "";
    c.skipStr(); // tablespace
    if (v >= K_VERS_1_14) c.skipStr(); // table access method
    if (v >= K_VERS_1_16) c.int(); // relkind
    c.skipStr(); // owner
    c.skipStr(); // "true" for tables WITH OIDS
    while (c.str() !== null); // dependencies, ended by a NULL string
    const flag = c.byte();
    for (let k = 0; k < this.#offSize; k++) c.byte();
    if (flag < 1 || flag > 3) throw new Error(`entry ${id} has data offset flag ${flag}`);
    if (defn !== null) this.#encoding = /'([^']*)'/.exec(defn)?.[1] ?? "";
    if (this.#entries.has(id)) throw new Error(`dump id ${id} appears twice in the table of contents`);
    const isTable = desc === "TABLE DATA";
    const key = isTable ? tableKey(namespace, tag) : undefined;
    const entry: Entry = {
      what: isTable ? `table ${key}` : tag && tag !== desc ? `${desc} ${tag}` : desc,
      key,
      hasData: hadDumper && flag !== OFFSET_NO_DATA,
      seen: false,
      rows: 0,
    };
    if (isTable && entry.hasData && !copy?.startsWith("COPY ")) {
      this.#fail(`the rows of ${entry.what} are not COPY text (a dump made with --inserts?): its lines are not rows`);
      return false;
    }
    this.#entries.set(id, entry);
    return true;
  }

  /** Checks on the whole TOC before any data: names decodable, one entry per table. */
  #tocReady(): boolean {
    const keys = new Set<string>();
    for (const entry of this.#entries.values()) {
      if (entry.key === undefined) continue;
      if (this.#encoding !== "UTF8" && this.#encoding !== "SQL_ASCII" && /[^\x20-\x7e]/.test(entry.key)) {
        this.#fail(`the archive's names are in encoding ${this.#encoding || "(unknown)"}, not UTF-8: ${entry.what} cannot be named reliably`);
        return false;
      }
      if (keys.has(entry.key)) {
        this.#fail(`the table of contents has two data entries for ${entry.what}`);
        return false;
      }
      keys.add(entry.key);
    }
    return true;
  }

  /** Reads one archive integer at buf[i]: the index after it, or -1 when buf ends first (the part is kept). */
  #readInt(buf: Buffer, i: number): number {
    const width = 1 + this.#intSize;
    if (this.#fieldHave === 0 && buf.length - i >= width) {
      this.#value = decodeInt(buf, i, this.#intSize);
      return i + width;
    }
    const take = Math.min(width - this.#fieldHave, buf.length - i);
    buf.copy(this.#field, this.#fieldHave, i, i + take);
    this.#fieldHave += take;
    if (this.#fieldHave < width) return -1;
    this.#fieldHave = 0;
    this.#value = decodeInt(this.#field, 0, this.#intSize);
    return i + take;
  }

  /** The data section: blocks of length-prefixed chunks, each ended by a zero length. */
  #readData(buf: Buffer, start: number): void {
    const end = buf.length;
    let i = start;
    while (i < end) {
      switch (this.#state) {
        case S_DATA: {
          const stop = Math.min(end, i + this.#remaining);
          if (this.#entry!.key !== undefined) this.#count(buf, i, stop);
          this.#remaining -= stop - i;
          i = stop;
          if (this.#remaining === 0) this.#state = S_LEN;
          break;
        }
        case S_LEN: {
          i = this.#readInt(buf, i);
          if (i < 0) return;
          const length = this.#value;
          if (length > 0) {
            this.#remaining = length;
            this.#state = S_DATA;
          } else if (length === 0) {
            if (!this.#endTable()) return;
            this.#state = S_BLOCK;
          } else return this.#fail(`the data of ${this.#entry!.what} has a chunk of length ${length}`);
          break;
        }
        case S_BLOCK: {
          this.#blockType = buf[i++]!;
          if (this.#blockType !== BLK_DATA && this.#blockType !== BLK_BLOBS) {
            return this.#fail(`the archive has a data block of unknown type ${this.#blockType} after ${this.#bytes - (end - i) - 1} bytes`);
          }
          this.#state = S_ID;
          break;
        }
        case S_ID: {
          i = this.#readInt(buf, i);
          if (i < 0) return;
          if (!this.#startBlock(this.#value)) return;
          break;
        }
        case S_LO_DATA: {
          const stop = Math.min(end, i + this.#remaining);
          this.#remaining -= stop - i;
          i = stop;
          if (this.#remaining === 0) this.#state = S_LO_LEN;
          break;
        }
        case S_LO_LEN: {
          i = this.#readInt(buf, i);
          if (i < 0) return;
          if (this.#value < 0) return this.#fail(`a large object in ${this.#entry!.what} has a chunk of length ${this.#value}`);
          this.#remaining = this.#value;
          this.#state = this.#value === 0 ? S_OID : S_LO_DATA;
          break;
        }
        case S_OID: {
          i = this.#readInt(buf, i);
          if (i < 0) return;
          this.#state = this.#value === 0 ? S_BLOCK : S_LO_LEN;
          break;
        }
      }
    }
  }

  #startBlock(id: number): boolean {
    const entry = this.#entries.get(id);
    if (!entry || !entry.hasData) {
      this.#fail(`the archive has a data block for dump id ${id}, which the table of contents has no data for`);
      return false;
    }
    if (entry.seen) {
      this.#fail(`the archive has two data blocks for ${entry.what}`);
      return false;
    }
    if (entry.key !== undefined && this.#blockType !== BLK_DATA) {
      this.#fail(`the data of ${entry.what} is not a table data block (type ${this.#blockType})`);
      return false;
    }
    entry.seen = true;
    this.#entry = entry;
    this.#newlines = 0;
    this.#tail = 0;
    this.#tailBuf = undefined;
    this.#blockBytes = 0;
    this.#state = this.#blockType === BLK_DATA ? S_LEN : S_OID;
    return true;
  }

  /** Newlines of buf[start, stop); the range is remembered (not copied) for the block's last bytes. */
  #count(buf: Buffer, start: number, stop: number): void {
    this.#newlines += countNewlines(buf, start, stop);
    this.#blockBytes += stop - start;
    if (stop - start < 6) this.#foldTail(); // too short to hold the last 6 bytes alone
    this.#tailBuf = buf;
    this.#tailStart = start;
    this.#tailStop = stop;
  }

  /** Shifts the last remembered range's final bytes (at most 6) into #tail. */
  #foldTail(): void {
    const buf = this.#tailBuf;
    if (!buf) return;
    for (let k = Math.max(this.#tailStart, this.#tailStop - 6); k < this.#tailStop; k++) {
      this.#tail = (this.#tail % TWO_40) * 256 + buf[k]!;
    }
    this.#tailBuf = undefined;
  }

  /** A table's block ended: it must end with COPY's terminator line, which is not a row. */
  #endTable(): boolean {
    const entry = this.#entry!;
    if (entry.key === undefined) return true;
    this.#foldTail();
    const bytes = this.#blockBytes;
    const ended = bytes === 5 ? this.#tail % TWO_40 === END_MARK_5 : bytes > 5 && this.#tail === END_MARK_6;
    if (!ended) {
      this.#fail(`the data of ${entry.what} does not end with COPY's "\\." line: it cannot be counted`);
      return false;
    }
    entry.rows = this.#newlines - TERMINATOR_LINES;
    return true;
  }
}
