import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { logFailure } from "../../../src/core/errors.js";
import { createLogger } from "../../../src/report/logger.js";

describe("the log tail sent to healthchecks", () => {
  it("says each error message and cause once, as logged", async () => {
    const { logger, tails } = createLogger({ level: "info", format: "json", destination: new PassThrough() });
    tails.open("run-1");
    const restic = new Error("restic restore 1a2b3c4d: failed (exit code 1): pack d3d5 does not exist");
    const wrapped = new Error(`volume "shop_uploads": snapshot 1a2b3c4d does not restore`, { cause: restic });
    const hidden = new Error("cannot stop container shop-app-1", { cause: new Error("connect ENOENT /var/run/docker.sock") });
    logFailure(logger.child({ runId: "run-1" }), "verify of volume shop_uploads failed", wrapped);
    logFailure(logger.child({ runId: "run-1" }), "backup failed", hidden);
    await new Promise((resolve) => setImmediate(resolve));
    const text = tails.close("run-1");
    expect(text.split("pack d3d5 does not exist")).toHaveLength(2);
    expect(text).toContain(
      'verify of volume shop_uploads failed: volume "shop_uploads": snapshot 1a2b3c4d does not restore: restic restore',
    );
    expect(text).toContain("backup failed: cannot stop container shop-app-1: connect ENOENT /var/run/docker.sock");
  });
});
