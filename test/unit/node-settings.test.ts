// The image, the systemd unit and the bench run Node alike: the same flags and the same malloc
// setting, so what the bench measures and what the unit runs is what the image runs.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const dockerfile = readFileSync("Dockerfile", "utf8");
const unit = readFileSync("systemd/backup-agent.service", "utf8");
const bench = readFileSync("test/bench/lib/agent.mjs", "utf8");

/** The image's Node flags: what its ENTRYPOINT puts between `node` and the program. */
function imageFlags(): string[] {
  const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? "[]") as string[];
  return entrypoint.slice(1, entrypoint.findIndex((a) => a.endsWith("/dist/main.js")));
}

describe("how Node runs the agent", () => {
  it("runs with the image's flags under the systemd unit and in the bench", () => {
    const flags = imageFlags();
    expect(flags).toContain("--max-semi-space-size=2");
    const execStart = /^ExecStart=(\S+) (.*) \S+\/dist\/main\.js daemon$/m.exec(unit);
    expect(execStart?.[2]?.split(" ")).toEqual(flags);
    expect(JSON.parse(/NODE_FLAGS = (\[.*\]);/.exec(bench)?.[1] ?? "null")).toEqual(flags);
  });

  it("caps glibc's malloc arenas in the image, the systemd unit and the bench", () => {
    expect(dockerfile).toMatch(/^\s+MALLOC_ARENA_MAX=2 \\$/m);
    expect(unit).toMatch(/^Environment=MALLOC_ARENA_MAX=2$/m);
    expect(bench).toMatch(/NODE_ENV = \{ MALLOC_ARENA_MAX: "2" \}/);
  });
});
