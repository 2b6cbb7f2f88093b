// zod field builders for environment variables: each message says what was expected.
import { z } from "zod";
import { parseDuration } from "./duration.js";
import { Secret } from "./secret.js";

// eslint-disable-next-line no-control-regex -- finding control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/;

export function hasControlCharacters(value: string): boolean {
  return CONTROL.test(value);
}

/** Text with no control characters: a stray newline in a path is how volumes went missing. */
export function text() {
  return z
    .string({ error: "required, and missing" })
    .min(1, { error: "must not be empty" })
    .refine((v) => !hasControlCharacters(v), {
      error: "must not contain control characters (newline, tab, …)",
    });
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

function toMilliseconds(v: string, ctx: z.RefinementCtx): number {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: 'expected a duration such as "90s", "5m", "6h" or "1d"' });
    return z.NEVER;
  }
  return ms;
}

export function duration(fallback: string) {
  return z.string().default(fallback).transform(toMilliseconds);
}

export function optionalDuration() {
  return z.string().transform(toMilliseconds).optional();
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

/** Where the daemon serves HTTP unless told otherwise: loopback only (the image sets 0.0.0.0:9180). */
export const DEFAULT_HTTP_LISTEN = "127.0.0.1:9180";

export interface ListenAddress {
  host: string;
  port: number;
}

/** "host:port", ":port", or "off". */
export function listenAddress(fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((v, ctx): ListenAddress | undefined => {
      if (v === "off") return undefined;
      const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(v);
      const port = Number(match?.[2]);
      if (!match || port > 65535) {
        ctx.addIssue({
          code: "custom",
          message: 'expected "host:port" (e.g. "0.0.0.0:9180"), ":port" or "off"',
        });
        return z.NEVER;
      }
      const host = (match[1] as string).replace(/^\[|\]$/g, "") || "0.0.0.0";
      return { host, port };
    });
}

export function timezone(fallback: string) {
  return z
    .string()
    .default(fallback)
    .refine(
      (v) => {
        try {
          new Intl.DateTimeFormat("en", { timeZone: v });
          return true;
        } catch {
          return false;
        }
      },
      { error: 'expected an IANA time zone such as "UTC" or "Europe/Berlin"' },
    );
}
