// `run backup` started by hand: on a terminal (a pseudo-terminal made by `script`) each target's
// progress is drawn; in a pipe, nothing but the logs.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { baseEnv, runAgent } from "./support/daemon.js";
import { removeTestContainers, startPostgres, uniqueName } from "./support/docker.js";
import { newRepo } from "./support/restic.js";

afterAll(async () => {
  await removeTestContainers();
});

const DRAW = "\r\x1b[2K";

describe("run on a terminal", () => {
  it("draws each target's bytes, rate and elapsed time (a volume's percentage too), and nothing of it in a pipe", async () => {
    const project = uniqueName("e2e-progress");
    const db = await startPostgres({ major: 15, project, service: "db", labels: { "backup-agent.postgres.databases": "appdb" } });
    await db.psql("CREATE TABLE events AS SELECT g AS id, md5(g::text) AS body FROM generate_series(1, 300000) g;", "appdb");
    const root = mkdtempSync(join(tmpdir(), "e2e-progress-root-"));
    mkdirSync(join(root, "uploads"));
    // Random, so restic takes a while to chunk it and reports its status lines meanwhile.
    for (let i = 0; i < 6; i++) writeFileSync(join(root, "uploads", `part-${i}.bin`), randomBytes(16 * 1024 * 1024));
    const repo = await newRepo("e2e-progress");
    const env = baseEnv({ ...repo.env, BACKUP_COMPOSE_PROJECT: project, BACKUP_VOLUMES_ROOT: root, BACKUP_VOLUMES: "uploads", BACKUP_HTTP_LISTEN: "off" });

    const tty = await execa("script", ["-qfec", "node dist/main.js run backup", "/dev/null"], { env, extendEnv: false, reject: false, all: true });
    expect(tty.exitCode, tty.all).toBe(0);
    const drawn = String(tty.all);
    // eslint-disable-next-line no-control-regex -- the terminal's escape sequence is what is tested.
    expect(drawn).toMatch(/\r\x1b\[2Kpostgres\/db appdb\.dump [\d.]+ (B|KiB|MiB) (-|[\d.]+ (B|KiB|MiB|GiB)\/s) \d+:\d\d/);
    // eslint-disable-next-line no-control-regex -- the same.
    expect(drawn).toMatch(/\r\x1b\[2Kvolume\/uploads \d+% [\d.]+ (B|KiB|MiB) of 96\.0 MiB (-|[\d.]+ (B|KiB|MiB|GiB)\/s) \d+:\d\d/);
    // Log lines stay readable above it: the line is cleared before each one.
    expect(drawn).toContain(`${DRAW}`);
    expect(drawn).toMatch(/stored postgres__db__appdb\.dump/);

    const piped = await runAgent(["run", "backup"], env);
    expect(piped.exitCode, piped.output).toBe(0);
    expect(piped.output).not.toContain("\x1b[2K");
    expect(piped.output).not.toMatch(/appdb\.dump [\d.]+ (B|KiB|MiB) /);
    expect(piped.lines.length).toBeGreaterThan(3);
  });
});
