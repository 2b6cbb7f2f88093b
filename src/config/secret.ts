// A value that must never be printed: toString, toJSON and util.inspect all redact it, and the value
// is registered with the one redaction, so no output shows it even when pasted into a text.
import { inspect } from "node:util";
import { REDACTED, registerSecret, registerUrlCredentials } from "./redact.js";

export class Secret {
  readonly #value: string;

  constructor(value: string, registers: "value" | "credentials" = "value") {
    this.#value = value;
    if (registers === "value") registerSecret(value);
    else registerUrlCredentials(value);
  }

  /**
   * A location that may hold credentials (a repository such as `rest:https://user:pw@host/`): kept out
   * of logs and argv like any secret, but only the credentials inside it are redacted from outputs.
   */
  static location(value: string): Secret {
    return new Secret(value, "credentials");
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
