// zod field builders for environment variables: each message says what was expected.
import { createRequire } from "node:module";
import { isAbsolute } from "node:path";
import { z } from "zod";
import { parseDuration, TIMER_MAX_MS } from "./duration.js";
import { Secret } from "./secret.js";
import { hasSurroundingSpace } from "./text-file.js";

// eslint-disable-next-line no-control-regex -- finding control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/;

export function hasControlCharacters(value: string): boolean {
  return CONTROL.test(value);
}

/**
 * Text with no control characters and no whitespace at either end: a stray newline or space in a
 * path is how volumes went missing and a second, empty repository was made.
 */
export function text() {
  return z
    .string({ error: "required, and missing" })
    .min(1, { error: "must not be empty" })
    .refine((v) => !hasControlCharacters(v), {
      error: "must not contain control characters (newline, tab, …)",
    })
    .refine((v) => !hasSurroundingSpace(v), { error: "must not start or end with whitespace" });
}

/** An absolute path (the agent's working directory is nobody's choice). */
export function absolutePath(fallback: string) {
  return text()
    .default(fallback)
    .refine((v) => isAbsolute(v), { error: 'expected an absolute path such as "/volumes"' });
}

export function optionalText() {
  return text().optional();
}

export function secret() {
  return z
    .string({ error: "required, and missing (set it, or NAME_FILE to a file holding it)" })
    .min(1, { error: "must not be empty" })
    .transform((v) => new Secret(v));
}

function toMilliseconds(maxMs: number) {
  return (v: string, ctx: z.RefinementCtx): number => {
    const ms = parseDuration(v, maxMs);
    if (typeof ms === "number") return ms;
    ctx.addIssue({ code: "custom", message: ms.problem });
    return z.NEVER;
  };
}

/** A duration ("90s", "5m"), at most maxMs (by default the longest timer Node.js can set). */
export function duration(fallback: string, maxMs = TIMER_MAX_MS) {
  return z.string().default(fallback).transform(toMilliseconds(maxMs));
}

export function optionalDuration(maxMs = TIMER_MAX_MS) {
  return z.string().transform(toMilliseconds(maxMs)).optional();
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) {
  return z.enum(values, { error: `expected one of ${values.join(", ")}` }).default(fallback as never);
}

export function boolean(fallback: boolean) {
  return z
    .enum(["true", "false", "1", "0", "yes", "no"], { error: "expected true or false" })
    .default(fallback ? "true" : "false")
    .transform((v) => v === "true" || v === "1" || v === "yes");
}

function toInteger(min: number, max: number) {
  return (v: string, ctx: z.RefinementCtx): number => {
    const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
    if (!(n >= min && n <= max)) {
      ctx.addIssue({ code: "custom", message: `expected a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  };
}

export function integer(min: number, max: number, fallback: number) {
  return z.string().default(String(fallback)).transform(toInteger(min, max));
}

/** A whole number from min to max, or unset. */
export function optionalInteger(min: number, max: number) {
  return z.string().transform(toInteger(min, max)).optional();
}

/** A restic duration for --keep-within: years, months, days, hours ("7d", "1y6m", "36h"). */
export function optionalResticDuration() {
  return text()
    .refine((v) => /^(?:\d+[ymdh])+$/.test(v), {
      error: 'expected a restic duration of y, m, d, h such as "14d", "1y6m" or "36h"',
    })
    .optional();
}

export function httpUrl() {
  return text().refine(
    (v) => {
      try {
        return ["http:", "https:"].includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { error: "expected an http:// or https:// URL" },
  );
}

/** The Fetch standard's blocked ports, from the undici that fetch() is built on (not exported publicly). */
const BAD_PORTS = (createRequire(import.meta.url)("undici/lib/web/fetch/constants.js") as { badPortsSet: ReadonlySet<string> }).badPortsSet;

/** Where the daemon serves HTTP unless told otherwise: loopback only (the image sets 0.0.0.0:9180). */
export const DEFAULT_HTTP_LISTEN = "127.0.0.1:9180";

export interface ListenAddress {
  host: string;
  port: number;
}

/** "host:port", ":port", or "off"; never a port fetch() refuses, so `healthcheck` can reach it. */
export function listenAddress(fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((v, ctx): ListenAddress | undefined => {
      if (v === "off") return undefined;
      const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(v);
      const port = Number(match?.[2]);
      const problem = !match
        ? 'expected "host:port" (e.g. "0.0.0.0:9180"), ":port" or "off"'
        : port < 1 || port > 65535
          ? "expected a port from 1 to 65535"
          : BAD_PORTS.has(String(port))
            ? `expected a port that HTTP clients may use: fetch() refuses port ${port} (the Fetch standard's "bad ports"), so healthcheck could never reach it`
            : undefined;
      if (problem) {
        ctx.addIssue({ code: "custom", message: problem });
        return z.NEVER;
      }
      const host = (match?.[1] as string).replace(/^\[|\]$/g, "") || "0.0.0.0";
      return { host, port };
    });
}

/** An IANA time zone croner and Intl understand. */
export function isTimeZone(v: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: v });
    return true;
  } catch {
    return false;
  }
}

export const TIME_ZONE_EXPECTED = 'expected an IANA time zone such as "UTC" or "Europe/Berlin"';

export function optionalTimezone() {
  return z.string().refine(isTimeZone, { error: TIME_ZONE_EXPECTED }).optional();
}
