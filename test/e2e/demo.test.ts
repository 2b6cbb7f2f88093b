// `npm run demo` as a newcomer runs it: twice (the second run is harmless), then `-- --down` leaves
// nothing of the demo's Compose project behind.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const PROJECT = "backup-agent-demo";
const LABEL = `label=com.docker.compose.project=${PROJECT}`;

const demo = (...args: string[]) =>
  execa("npm", ["run", "--silent", "demo", ...(args.length ? ["--", ...args] : [])], {
    cwd: ROOT,
    reject: false,
    all: true,
    timeout: 600_000,
    env: { BACKUP_LOG_FORMAT: "pretty" },
  });

async function listed(kind: "ps" | "volume" | "network"): Promise<string[]> {
  const args = kind === "ps" ? ["ps", "-a", "-q", "--filter", LABEL] : [kind, "ls", "-q", "--filter", LABEL];
  return (await execa("docker", args)).stdout.split("\n").filter(Boolean);
}

/** The example table's row count, read in the running `db` container. */
async function rows(): Promise<string> {
  const id = (await execa("docker", ["ps", "-q", "--filter", LABEL, "--filter", "label=com.docker.compose.service=db"]))
    .stdout.trim();
  expect(id, "the demo's db container is not running").not.toBe("");
  const sql = ["exec", id, "psql", "-At", "-U", "shop", "-d", "shop", "-c", "SELECT count(*) FROM orders"];
  return (await execa("docker", sql)).stdout;
}

afterAll(async () => {
  await demo("--down");
}, 120_000);

describe("npm run demo", () => {
  let containers: string[] = [];

  it("backs up the example stack, verifies the restore and ends with status GOOD", async () => {
    const run = await demo();
    expect(run.exitCode, run.all.slice(-3000)).toBe(0);
    expect(run.all).toContain("backup succeeded");
    expect(run.all).toContain("verify succeeded");
    expect(run.all).toMatch(/^backup-agent status: GOOD /m);
    expect(run.all).toMatch(/^Last verify: \S+ passed$/m);
    expect(run.all).toContain("http://127.0.0.1:9180/metrics");
    containers = (await listed("ps")).sort();
    expect(containers).toHaveLength(3);
    expect(await rows()).toBe("1000");
  });

  it("runs again harmlessly: same containers, same data, another good backup", async () => {
    const run = await demo();
    expect(run.exitCode, run.all.slice(-3000)).toBe(0);
    expect(run.all).toContain("backup succeeded");
    expect(run.all).toContain("verify succeeded");
    expect(run.all).toMatch(/^backup-agent status: GOOD /m);
    expect((await listed("ps")).sort()).toEqual(containers);
    expect(await rows()).toBe("1000");
  });

  it("`-- --down` removes the project's containers, volumes and network, and .demo/", async () => {
    const down = await demo("--down");
    expect(down.exitCode, down.all).toBe(0);
    expect(await listed("ps")).toEqual([]);
    expect(await listed("volume")).toEqual([]);
    expect(await listed("network")).toEqual([]);
    expect(existsSync(join(ROOT, ".demo"))).toBe(false);
  });
});
