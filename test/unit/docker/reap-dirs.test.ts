import { mkdirSync, mkdtempSync, readdirSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { parseVerifyDir, reapVerifyDirs, VERIFY_DIR_PREFIX } from "../../../src/docker/reap-dirs.js";

const RUN = "0b6f3a52-2f55-4c1e-9a8e-0d1c2b3a4f5e";

describe("verify temp dirs", () => {
  it("reads the run id and pid from a verify dir's name, and nothing from other names", () => {
    expect(parseVerifyDir(`${VERIFY_DIR_PREFIX}${RUN}-p4242-shop_uploads-AbC123`)).toEqual({ runId: RUN, pid: 4242 });
    expect(parseVerifyDir("backup-agent-gate-12-x")).toBeUndefined();
    expect(parseVerifyDir("backup-agent-verify-db-abc123")).toBeUndefined();
  });

  it("removes the dirs of a dead agent and old ones, and keeps a live agent's recent dir", async () => {
    const root = mkdtempSync(join(tmpdir(), "reap-dirs-"));
    const dead = `${VERIFY_DIR_PREFIX}${RUN}-p999999-data-aaaaaa`;
    const live = `${VERIFY_DIR_PREFIX}${RUN}-p${process.ppid}-data-bbbbbb`;
    const old = `${VERIFY_DIR_PREFIX}${RUN}-p${process.ppid}-media-cccccc`;
    for (const name of [dead, live, old, "unrelated"]) mkdirSync(join(root, name, "nested"), { recursive: true });
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(root, old), hourAgo, hourAgo);
    const removed = await reapVerifyDirs(pino({ level: "silent" }), 60_000, root);
    expect(removed.sort()).toEqual([join(root, dead), join(root, old)].sort());
    expect(readdirSync(root).sort()).toEqual([live, "unrelated"].sort());
  });
});
