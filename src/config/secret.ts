// A value that must never be printed: toString, toJSON and util.inspect all redact it.
import { inspect } from "node:util";

const REDACTED = "[redacted]";

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The real value, for a child process's env or an HTTP header. Never log it. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** How a secret is shown in an error message: its length, never its characters. */
export function describeSecret(value: string): string {
  return `<redacted, ${value.length} characters>`;
}
