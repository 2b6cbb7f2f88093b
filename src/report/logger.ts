// pino to stdout (JSON, or readable text on a TTY), plus the per-run tails for healthchecks. Every
// line passes the one redaction before it reaches any stream; errors are logged without stack traces.
import { createRequire } from "node:module";
import pino, { type Logger } from "pino";
import { redact } from "../config/redact.js";
import { LogTails } from "./logtail.js";

export interface LoggerOptions {
  level: string;
  format: "auto" | "json" | "pretty";
  /** Where lines go; stdout unless a test says otherwise. */
  destination?: NodeJS.WritableStream;
}

/** Field names that never reach a log line, whatever a caller passes. */
export const REDACT_PATHS = [
  "password",
  "*.password",
  "apiKey",
  "*.apiKey",
  "authorization",
  "*.authorization",
  "env",
  "*.env",
];

const require = createRequire(import.meta.url);

export function createLogger(options: LoggerOptions): { logger: Logger; tails: LogTails } {
  const out = options.destination ?? process.stdout;
  const readable =
    options.format === "pretty" || (options.format === "auto" && process.stdout.isTTY === true);
  // pino-pretty loads only for readable logs: the JSON logs of cron and the daemon never need it.
  const pretty = readable ? (require("pino-pretty") as typeof import("pino-pretty")) : undefined;
  const main = pretty
    ? pretty({ destination: out as never, colorize: process.stdout.isTTY === true, sync: true })
    : out;
  const tails = new LogTails();
  const logger = pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      base: { pid: process.pid },
      // The message as thrown, its causes nested: our messages already quote their causes, and
      // pino's default serializer would append them again. No stack: it is nobody's message.
      serializers: { err: (error: Error) => withoutStacks(pino.stdSerializers.errWithCause(error)) },
      hooks: { streamWrite: redact },
    },
    pino.multistream([
      { level: options.level as pino.Level, stream: main },
      { level: "info", stream: tails },
    ]),
  );
  return { logger, tails };
}

/** The serialized error and its causes, without their stack traces. */
function withoutStacks(serialized: unknown): unknown {
  if (serialized && typeof serialized === "object") {
    const record = serialized as Record<string, unknown>;
    delete record.stack;
    withoutStacks(record.cause);
    if (Array.isArray(record.aggregateErrors)) record.aggregateErrors.forEach(withoutStacks);
  }
  return serialized;
}
