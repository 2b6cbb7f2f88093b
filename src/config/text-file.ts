// A NAME_FILE read exactly as restic 0.18 reads --password-file and --repository-file
// (internal/textfile.Read, then strings.TrimSpace): a file that works with restic works here.
import { readFileSync } from "node:fs";

/**
 * Go's unicode.IsSpace, which strings.TrimSpace trims: ASCII space, \t \n \v \f \r, U+0085, U+00A0
 * and the other Unicode White_Space characters. Not JavaScript's trim(), which also drops U+FEFF and
 * keeps U+0085.
 */
const GO_SPACE = "[\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";
const SURROUNDING = new RegExp(`^${GO_SPACE}+|${GO_SPACE}+$`, "g");

export function goTrimSpace(text: string): string {
  return text.replace(SURROUNDING, "");
}

/** Whitespace at either end (a pasted space, a trailing newline): what restic would trim off. */
export function hasSurroundingSpace(text: string): boolean {
  return goTrimSpace(text) !== text;
}

/**
 * The file's text as restic sees it: a UTF-8 BOM dropped, UTF-16 (with a BOM) decoded, surrounding
 * whitespace trimmed. Throws the fs error when unreadable, or an Error when the bytes are not text.
 */
export function readTextFile(path: string): string {
  return goTrimSpace(decode(readFileSync(path)));
}

function decode(data: Buffer): string {
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) return utf8(data.subarray(3));
  if (data[0] === 0xff && data[1] === 0xfe) return new TextDecoder("utf-16le", { ignoreBOM: true }).decode(data.subarray(2));
  if (data[0] === 0xfe && data[1] === 0xff) return new TextDecoder("utf-16be", { ignoreBOM: true }).decode(data.subarray(2));
  return utf8(data);
}

function utf8(data: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(data);
  } catch (error) {
    // restic would read these bytes as they are; through the environment they cannot reach it unchanged.
    throw new Error("is not UTF-8 text (nor UTF-16 with a byte order mark)", { cause: error });
  }
}
