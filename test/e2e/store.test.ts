// "EOF is the commit", against real restic: the conformance suite the memory repository also passes,
// and an agent killed mid-stream (SIGKILL) that leaves no snapshot.
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it, vi } from "vitest";
import { Secret } from "../../src/config/secret.js";
import { ResticCli } from "../../src/restic/cli-repository.js";
import { repositoryConformance } from "../support/repository-conformance.js";
import { newRepo, snapshots } from "./support/restic.js";

repositoryConformance("restic CLI", async () => {
  const repo = await newRepo("e2e-store");
  const make = (password: string) =>
    new ResticCli({ binary: "restic", repository: new Secret(repo.path), password: new Secret(password), host: "test", display: repo.path });
  const good = make(repo.password);
  const wrong = make("not-the-password");
  let broken = false;
  // The next upload after breakNextUpload() uses a wrong password; everything else is the real repository.
  const repository = new Proxy(good, {
    get(target, prop) {
      const source = prop === "openStdin" && broken ? ((broken = false), wrong) : target;
      const value: unknown = Reflect.get(source, prop, source);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(source) : value;
    },
  });
  return { repository, breakNextUpload: () => void (broken = true) };
});

describe("storeStream", () => {
  it("leaves no snapshot when the agent itself is killed mid-stream", async () => {
    const repo = await newRepo("e2e-store");
    const child = execa("node", [join(import.meta.dirname, "../fixtures/store-forever.mjs")], { env: repo.env, reject: false });
    let out = "";
    child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
    await vi.waitFor(() => expect(out).toContain("streaming"), { timeout: 30_000, interval: 100 });
    const gates = async () => (await execa("pgrep", ["-f", `stdin-gate.pl /tmp/backup-agent-gate-${child.pid}-`], { reject: false })).stdout;
    expect(await gates()).not.toBe("");
    child.kill("SIGKILL");
    await child;
    // restic and its gate see the agent vanish, and end without saving anything.
    await vi.waitFor(async () => expect(await gates()).toBe(""), { timeout: 30_000, interval: 200 });
    await vi.waitFor(async () => expect((await execa("pgrep", ["-f", "forever.bin"], { reject: false })).stdout).toBe(""), {
      timeout: 30_000,
      interval: 200,
    });
    expect(await snapshots(repo)).toEqual([]);
  });
});
