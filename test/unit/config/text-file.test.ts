// NAME_FILE is read as restic 0.18 reads --password-file (test/e2e/restic-files.test.ts checks it against restic itself).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { goTrimSpace, readTextFile } from "../../../src/config/text-file.js";

const dir = mkdtempSync(join(tmpdir(), "backup-agent-text-file-"));
const file = (name: string, data: string | Buffer) => {
  writeFileSync(join(dir, name), data);
  return join(dir, name);
};

describe("readTextFile", () => {
  it("trims whitespace at both ends as Go's strings.TrimSpace does, not JavaScript's trim()", () => {
    expect(readTextFile(file("spaces", " \t pw  x \r\n\n"))).toBe("pw  x");
    expect(goTrimSpace("pw\u0085")).toBe("pw");
    expect(goTrimSpace("pw\u00a0\u3000")).toBe("pw");
    expect(goTrimSpace("pw\ufeff")).toBe("pw\ufeff");
  });

  it("drops a UTF-8 byte order mark and decodes UTF-16 with one", () => {
    expect(readTextFile(file("bom", "\ufeffpw\n"))).toBe("pw");
    expect(readTextFile(file("le", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("pw\n", "utf16le")])))).toBe("pw");
    expect(readTextFile(file("be", Buffer.from([0xfe, 0xff, 0, 0x70, 0, 0x77, 0, 0x0a])))).toBe("pw");
  });

  it("refuses bytes that are not UTF-8, which could not reach restic unchanged through its environment", () => {
    expect(() => readTextFile(file("latin1", Buffer.from([0x70, 0xe9, 0x0a])))).toThrow("is not UTF-8 text");
  });
});
