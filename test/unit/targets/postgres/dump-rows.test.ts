// Row counts read from pg_dump custom archives must equal count(*): real PostgreSQL 15 and 17 dumps (make.sh) and every archive version.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RowCounts } from "../../../../src/targets/manifest.js";
import { DumpRowCounter, tableKey } from "../../../../src/targets/postgres/dump-rows.js";
import { compareDumpRowCounts, parseRestoredRows, RESTORED_ROWS_SQL } from "../../../../src/targets/postgres/restored-rows.js";

const DIR = join(import.meta.dirname, "../../../fixtures/pg-dumps");
const fixture = (name: string) => readFileSync(join(DIR, name));

interface Expected {
  restoredRowsSqlSha256: string;
  sources: Record<string, { postgres: string; tables: RowCounts }>;
  dumps: Record<string, { source: string; compress: string; restored?: string }>;
}
const expected = JSON.parse(readFileSync(join(DIR, "expected-counts.json"), "utf8")) as Expected;
const UNCOMPRESSED = Object.entries(expected.dumps).filter(([, d]) => d.compress === "0");

type Result = ReturnType<DumpRowCounter["result"]>;

function countChunks(chunks: Iterable<Buffer>): Result {
  const counter = new DumpRowCounter();
  for (const chunk of chunks) counter.write(chunk);
  return counter.result();
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function* randomChunks(buf: Buffer, seed: number): Generator<Buffer> {
  const next = random(seed);
  for (let at = 0; at < buf.length; ) {
    const r = next();
    const size = r < 0.3 ? 1 + Math.floor(next() * 8) : r < 0.9 ? 1 + Math.floor(next() * 700) : 1 + Math.floor(next() * 70_000);
    yield buf.subarray(at, at + size);
    at += size;
  }
}

const tablesOf = (result: Result): RowCounts => {
  if (!("tables" in result)) throw new Error(`expected counts, got: ${result.unavailable}`);
  return { ...result.tables };
};
const reasonOf = (result: Result): string => ("unavailable" in result ? result.unavailable : "counted");

describe("DumpRowCounter on real pg_dump archives", () => {
  for (const [file, dump] of UNCOMPRESSED) {
    const source = expected.sources[dump.source]!;
    const buf = fixture(file);

    describe(`${file} (PostgreSQL ${source.postgres})`, () => {
      it("counts every table exactly as count(*) did when the dump was made, fed whole", () => {
        expect(tablesOf(countChunks([buf]))).toEqual(source.tables);
      });

      it("gives the same counts fed one byte at a time, and calls every shorter cut of it unavailable", () => {
        const counter = new DumpRowCounter();
        const wrong: number[] = [];
        for (let at = 0; at < buf.length; at++) {
          counter.write(buf.subarray(at, at + 1));
          if (at < buf.length - 1 && !("unavailable" in counter.result())) wrong.push(at + 1);
        }
        expect(wrong, "cut lengths that were counted anyway").toEqual([]);
        expect(tablesOf(counter.result())).toEqual(source.tables);
      });

      it("gives the same counts fed in random-size chunks", () => {
        for (const seed of [1, 2, 3, 42, 2024]) {
          expect(tablesOf(countChunks(randomChunks(buf, seed))), `seed ${seed}`).toEqual(source.tables);
        }
      });
    });
  }

  let cache: RowCounts | undefined;
  const counts = () => (cache ??= tablesOf(countChunks([fixture("pg17.dump")])));

  it("gives an empty table zero rows and counts rows whose text holds newlines, tabs, backslashes and \\. lines", () => {
    expect(counts()["public.empty_table"]).toBe(0);
    expect(counts()["public.texts"]).toBe(10);
    expect(counts()["app.dots"]).toBe(5); // rows "\.", "", "", "\.", NULL: lines like COPY's own end marker
    expect(counts()["app.nocols"]).toBe(3); // no columns: every row is an empty line
  });

  it("keys quoted and awkward schema and table names the way tableKey spells them", () => {
    const keys = [
      '"Sales Dept"."Order Items"',
      '"we""ird|schema"."x|y"',
      'app."1st"',
      'app."Mixed Case"',
      'app."a.b"',
      'app."quo""te"',
      'app."pi|pe"',
      'app."données"',
      'app."trailing "',
      "app.price$",
      "app.user",
      "app.order",
      "public.__proto__",
      "public.constructor",
    ];
    for (const key of keys) expect(Object.hasOwn(counts(), key), key).toBe(true);
    expect(Object.keys(counts()).filter((k) => k.startsWith("app.") || k.startsWith("public.")).length).toBeGreaterThan(20);
  });

  it("counts each leaf partition of a partitioned table and never the partitioned tables themselves", () => {
    expect(counts()["app.events_2024"]! + counts()["app.events_2025"]! + counts()['app."events default"']!).toBe(201);
    expect(counts()["app.metrics_cpu_low"]! + counts()["app.metrics_cpu_high"]!).toBe(101);
    expect(counts()["app.metrics_mem"]).toBe(4);
    for (const parent of ["app.events", "app.metrics", "app.metrics_cpu"]) expect(counts()).not.toHaveProperty([parent]);
  });

  it("counts an unlogged table, and an inheritance parent without its children's rows", () => {
    expect(counts()["app.cache"]).toBe(4);
    expect(counts()["app.parent"]).toBe(2);
    expect(counts()["app.child"]).toBe(5);
  });

  it("skips large objects, and gives a sequence, a materialized view and a view no count", () => {
    for (const file of ["pg15.dump", "pg17.dump"]) {
      expect(fixture(file).includes("BLOBS"), `${file} has large objects`).toBe(true);
    }
    for (const name of ["app.counter", "app.mv", "app.v"]) expect(counts()).not.toHaveProperty([name]);
  });

  it("counts an extension's config table by the rows pg_dump keeps of it, and not the member table it skips", () => {
    expect(counts()["ext.ext_config"]).toBe(2); // WHERE id > 100: the rows the user added
    expect(counts()).not.toHaveProperty(["ext.ext_internal"]);
  });
});

describe("an archive that cannot be counted", () => {
  const pg17 = fixture("pg17.dump");
  const patched = (at: number, value: number) => {
    const copy = Buffer.from(pg17);
    copy[at] = value;
    return copy;
  };

  it("is unavailable when pg_dump compressed it (--compress=6), naming the compression", () => {
    expect(reasonOf(countChunks([fixture("pg15-gzip.dump")]))).toMatch(/compressed \(gzip, level 6\).*--compress=0/);
    expect(reasonOf(countChunks([fixture("pg17-gzip.dump")]))).toMatch(/compressed \(gzip\).*--compress=0/);
    // Header byte 11 of a 1.15+ archive: the algorithm (PostgreSQL 16+ also writes lz4 and zstd).
    expect(reasonOf(countChunks([patched(11, 2)]))).toMatch(/compressed \(lz4\)/);
    expect(reasonOf(countChunks([patched(11, 3)]))).toMatch(/compressed \(zstd\)/);
  });

  it("is unavailable for an archive version newer or older than it knows", () => {
    expect(reasonOf(countChunks([patched(6, 17)]))).toMatch(/format version 1\.17 is newer/);
    expect(reasonOf(countChunks([patched(6, 11)]))).toMatch(/format version 1\.11 is older/);
  });

  it("is unavailable for garbage, an empty input, other pg_dump formats and a bare magic string", () => {
    const next = random(7);
    const garbage = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(next() * 256)));
    expect(reasonOf(countChunks([garbage]))).toMatch(/does not start with PGDMP/);
    expect(reasonOf(countChunks([Buffer.from("--\n-- PostgreSQL database dump\n--\n")]))).toMatch(/not a pg_dump custom-format/);
    expect(reasonOf(countChunks([]))).toBe("the archive is empty");
    expect(reasonOf(countChunks([Buffer.from("PGDMP")]))).toMatch(/cut short/);
    expect(reasonOf(countChunks([patched(10, 5)]))).toMatch(/directory format, not custom/);
  });

  it("is unavailable when the dump was cut in the middle, wherever the cut is", () => {
    for (const at of [3, 40, 2000, pg17.length >> 1, pg17.length - 1]) {
      expect(reasonOf(countChunks([pg17.subarray(0, at)])), `cut at ${at}`).toMatch(/cut short/);
    }
    // Right after a whole data block: the TOC says more blocks were due.
    const at = pg17.indexOf(Buffer.from("\\.\n\n\n\x00\x00\x00\x00\x00", "latin1")) + 10;
    expect(reasonOf(countChunks([pg17.subarray(0, at)]))).toMatch(/before the data of \d+ of its \d+ entries with data .*cut short/);
  });

  it("is unavailable when bytes follow the last data block", () => {
    expect(reasonOf(countChunks([pg17, Buffer.from([7, 7, 7])]))).toMatch(/unknown type 7/);
  });

  it("never throws, whatever bytes it is fed", () => {
    const next = random(99);
    for (let round = 0; round < 300; round++) {
      const damaged = Buffer.from(pg17);
      for (let k = 0; k < 1 + round % 5; k++) damaged[Math.floor(next() * damaged.length)] = Math.floor(next() * 256);
      expect(() => countChunks(randomChunks(damaged, round))).not.toThrow();
    }
  });
});

// A custom-format archive laid out as pg_dump writes one (pg_backup_archiver.c WriteHead/WriteToc,
// pg_backup_custom.c), for the archive versions no local image writes. Checked once against pg_restore 17.
interface Synthetic {
  id: number;
  desc: string;
  tag: string;
  namespace?: string;
  defn?: string;
  copy?: string;
  deps?: number[];
  chunks?: string[];
  objects?: { oid: number; chunks: Buffer[] }[];
}

function synthesize(minor: number, entries: Synthetic[], intSize = 4): Buffer {
  const parts: Buffer[] = [];
  const byte = (b: number) => parts.push(Buffer.from([b]));
  const int = (i: number) => {
    const b = Buffer.alloc(1 + intSize);
    b[0] = i < 0 ? 1 : 0;
    for (let k = 1, m = Math.abs(i); k <= intSize; k++, m = Math.floor(m / 256)) b[k] = m % 256;
    parts.push(b);
  };
  const str = (s: string | null | undefined) => {
    if (s === null || s === undefined) return int(-1);
    int(Buffer.byteLength(s));
    parts.push(Buffer.from(s));
  };
  parts.push(Buffer.from("PGDMP"));
  [1, minor, 0, intSize, 8, 1].forEach(byte);
  if (minor >= 15) byte(0);
  else int(0);
  [0, 30, 12, 1, 0, 125, 0].forEach(int);
  ["synthetic", "16.4", "16.4"].forEach(str);
  int(entries.length);
  for (const e of entries) {
    const data = e.chunks !== undefined || e.objects !== undefined;
    int(e.id);
    int(data ? 1 : 0);
    str("0");
    str(String(16_000 + e.id));
    str(e.tag);
    str(e.desc);
    int(e.desc === "TABLE DATA" || e.desc === "BLOBS" ? 3 : 2);
    str(e.defn ?? "");
    str("");
    str(e.copy);
    str(e.namespace);
    str(e.desc === "TABLE" ? "" : null);
    if (minor >= 14) str(e.desc === "TABLE" ? "heap" : null);
    if (minor >= 16) int(e.desc === "TABLE" ? "r".charCodeAt(0) : 0);
    str("postgres");
    str("false");
    for (const dep of e.deps ?? []) str(String(dep));
    str(null);
    byte(data ? 1 : 3);
    parts.push(Buffer.alloc(8));
  }
  for (const e of entries) {
    if (e.chunks) {
      byte(1);
      int(e.id);
      for (const chunk of e.chunks) {
        int(Buffer.byteLength(chunk));
        parts.push(Buffer.from(chunk));
      }
      int(0);
    } else if (e.objects) {
      byte(3);
      int(e.id);
      for (const lo of e.objects) {
        int(lo.oid | 0); // an Oid goes through WriteInt(int): above 2^31 it reads back negative
        for (const chunk of lo.chunks) {
          int(chunk.length);
          parts.push(chunk);
        }
        int(0);
      }
      int(0);
    }
  }
  return Buffer.concat(parts);
}

const END = "\\.\n\n\n";
const synthetic: Synthetic[] = [
  { id: 1, desc: "ENCODING", tag: "ENCODING", defn: "SET client_encoding = 'UTF8';\n" },
  { id: 2, desc: "STDSTRINGS", tag: "STDSTRINGS", defn: "SET standard_conforming_strings = 'on';\n" },
  { id: 3, desc: "SCHEMA", tag: "Odd Schema", defn: 'CREATE SCHEMA "Odd Schema";\n' },
  { id: 4, desc: "TABLE", tag: "t", namespace: "Odd Schema", defn: 'CREATE TABLE "Odd Schema".t (id integer, body text);\n', deps: [3] },
  { id: 5, desc: "TABLE", tag: "empty", namespace: "public", defn: "CREATE TABLE public.empty (id integer);\n" },
  {
    id: 6,
    desc: "TABLE DATA",
    tag: "t",
    namespace: "Odd Schema",
    copy: 'COPY "Odd Schema".t (id, body) FROM stdin;\n',
    deps: [4],
    // Chunks that do not follow rows, a long one, and the end marker glued to the last row.
    chunks: ["1\tone\n2\tt", "wo\n", `3\t${"x".repeat(300)}\n4\tfour\\nstill four\n`, `5\t\\N\n${END}`],
  },
  { id: 7, desc: "TABLE DATA", tag: "empty", namespace: "public", copy: "COPY public.empty (id) FROM stdin;\n", deps: [5], chunks: [END] },
  {
    id: 8,
    desc: "BLOBS",
    tag: "BLOBS",
    objects: [
      { oid: 16_500, chunks: [Buffer.from("\n\n\n\x00\x00\x00\x00\x00\n"), Buffer.alloc(70, 10)] },
      { oid: 4_000_000_000, chunks: [] },
    ],
  },
];

describe("archives of every version PostgreSQL 15 to 18 writes", () => {
  for (const [minor, writers] of [
    [14, "PostgreSQL 12 to 15"],
    [15, "PostgreSQL 16"],
    [16, "PostgreSQL 17 and 18"],
  ] as const) {
    it(`reads version 1.${minor} (${writers}), whole and byte by byte`, () => {
      const buf = synthesize(minor, synthetic);
      const want = { '"Odd Schema".t': 5, "public.empty": 0 };
      expect(tablesOf(countChunks([buf]))).toEqual(want);
      expect(tablesOf(countChunks(randomChunks(buf, minor)))).toEqual(want);
      const bytes = Array.from({ length: buf.length }, (_, k) => buf.subarray(k, k + 1));
      expect(tablesOf(countChunks(bytes))).toEqual(want);
    });
  }

  it("reads an archive written with 8-byte integers", () => {
    expect(tablesOf(countChunks([synthesize(16, synthetic, 8)]))).toEqual({ '"Odd Schema".t': 5, "public.empty": 0 });
  });

  it("is unavailable for rows dumped as INSERT commands (pg_dump --inserts)", () => {
    const inserts = synthetic.map((e) => (e.id === 6 ? { ...e, copy: undefined, chunks: ["INSERT INTO x VALUES (1);\n"] } : e));
    expect(reasonOf(countChunks([synthesize(16, inserts)]))).toMatch(/table "Odd Schema".t are not COPY text/);
  });

  it("is unavailable when a table's data lacks COPY's end marker", () => {
    const unmarked = synthetic.map((e) => (e.id === 6 ? { ...e, chunks: ["1\tone\n"] } : e));
    expect(reasonOf(countChunks([synthesize(16, unmarked)]))).toMatch(/does not end with COPY's "\\\." line/);
  });

  it("is unavailable when names are in an encoding other than UTF-8", () => {
    const latin = synthetic.map((e) =>
      e.id === 1 ? { ...e, defn: "SET client_encoding = 'LATIN1';\n" } : e.id === 6 ? { ...e, tag: "caf\u00e9" } : e,
    );
    expect(reasonOf(countChunks([synthesize(16, latin)]))).toMatch(/encoding LATIN1, not UTF-8/);
  });
});

describe("tableKey", () => {
  it("leaves plain lower-case names bare, keywords included, and quotes every other name", () => {
    expect(tableKey("public", "user")).toBe("public.user");
    expect(tableKey("app", "order")).toBe("app.order");
    expect(tableKey("app", "price$")).toBe("app.price$");
    expect(tableKey("_x", "a_1")).toBe("_x.a_1");
    expect(tableKey("Sales", "Mixed")).toBe('"Sales"."Mixed"');
    expect(tableKey("app", "a b")).toBe('app."a b"');
    expect(tableKey("a.b", "c")).toBe('"a.b".c');
    expect(tableKey("app", 'quo"te')).toBe('app."quo""te"');
    expect(tableKey("app", "pi|pe")).toBe('app."pi|pe"');
    expect(tableKey("app", "données")).toBe('app."données"');
    expect(tableKey("app", "1st")).toBe('app."1st"');
    expect(tableKey("app", "$x")).toBe('app."$x"');
  });
});

describe("RESTORED_ROWS_SQL, parseRestoredRows and compareDumpRowCounts", () => {
  it("made the committed restore outputs (regenerate them with make.sh when the query changes)", () => {
    expect(createHash("sha256").update(RESTORED_ROWS_SQL).digest("hex")).toBe(expected.restoredRowsSqlSha256);
  });

  for (const [file, dump] of UNCOMPRESSED.filter(([, d]) => d.restored)) {
    it(`finds a real pg_restore of ${file} equal to the rows counted in the dump, extension tables aside`, () => {
      const restored = parseRestoredRows(readFileSync(join(DIR, dump.restored!), "utf8").split("\n"));
      const recorded = tablesOf(countChunks([fixture(file)]));
      expect(compareDumpRowCounts(recorded, restored)).toEqual([]);
      // The keys spelled in SQL are the keys spelled by tableKey().
      const plain = Object.keys(restored).filter((k) => !restored[k]!.extension);
      expect(plain.sort()).toEqual(Object.keys(recorded).filter((k) => k !== "ext.ext_config").sort());
      expect(restored["ext.ext_config"]).toEqual({ rows: 7, extension: true });
      expect(restored["ext.ext_internal"]).toEqual({ rows: 2, extension: true });
    });
  }

  it("reads names that contain the separator from the right", () => {
    expect(parseRestoredRows(['"s"."a|b"|7|f', "public.t|0|t", ""])).toEqual({
      '"s"."a|b"': { rows: 7, extension: false },
      "public.t": { rows: 0, extension: true },
    });
  });

  it("rejects a line without a count or an extension flag", () => {
    for (const line of ["public.t|3", "public.t||f", "public.t|3|x", "|3|f", "public.t|-1|f"]) {
      expect(() => parseRestoredRows([line]), line).toThrow("unexpected restored row count line");
    }
  });

  it("names the table and both counts when they differ, and tables missing or extra", () => {
    const restored = parseRestoredRows(["public.a|4|f", "public.new|2|f", "public.__proto__|1|f"]);
    expect(compareDumpRowCounts({ "public.a": 5, "public.gone": 1, constructor: 3 }, restored)).toEqual([
      "table public.a has 4 rows restored but 5 recorded",
      "table public.gone (1 rows recorded) is missing after restore",
      "table constructor (3 rows recorded) is missing after restore",
      "table public.new (2 rows) was restored but not recorded at backup time",
      "table public.__proto__ (1 rows) was restored but not recorded at backup time",
    ]);
  });

  it("leaves out tables that belong to an extension in the restored database", () => {
    const restored = parseRestoredRows(["ext.config|7|t", "ext.internal|2|t", "public.a|1|f"]);
    expect(compareDumpRowCounts({ "ext.config": 2, "public.a": 1 }, restored)).toEqual([]);
  });
});
