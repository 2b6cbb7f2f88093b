// Every log line passes the one redaction, JSON and pretty alike, and errors are logged without stacks.
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { forgetSecrets, registerSecret } from "../../../src/config/redact.js";
import { BackupError, logFailure } from "../../../src/core/errors.js";
import { createLogger } from "../../../src/report/logger.js";

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer, _e: BufferEncoding, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

afterEach(forgetSecrets);

describe("the logger", () => {
  for (const format of ["json", "pretty"] as const) {
    it(`writes ${format} lines with no registered secret, no URL password and no stack trace`, () => {
      registerSecret('a-"quoted"-password');
      const out = new Capture();
      const { logger, tails } = createLogger({ level: "info", format, destination: out });
      tails.open("run-1");
      const cause = new Error('restic: wrong password a-"quoted"-password for rest:https://u:url-pw-77@host/');
      logFailure(logger.child({ runId: "run-1" }), "check failed", new BackupError("restic check", { cause }));
      const tail = tails.close("run-1");
      for (const text of [out.text, tail]) {
        expect(text).toContain("check failed: restic check: restic: wrong password [redacted] for rest:https://u:[redacted]@host/");
        expect(text).not.toMatch(/quoted|url-pw-77/);
        expect(text).not.toMatch(/^\s*at .*:\d+:\d+\)?$/m);
        expect(text).not.toMatch(/"stack"|\\n\s+at /);
      }
    });
  }
});
