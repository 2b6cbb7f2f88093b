// The Prometheus alert rules in compose/, tested by the real promtool from the bench.
import { readFileSync } from "node:fs";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

describe("compose/alerts.yml", () => {
  it("passes promtool's syntax check", async () => {
    const result = await execa("promtool", ["check", "rules", "compose/alerts.yml"], { reject: false });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
  });

  it("fires each alert when its condition holds long enough, and not before (promtool test rules)", async () => {
    const result = await execa("promtool", ["test", "rules", "alerts.test.yml"], {
      cwd: "compose",
      reject: false,
    });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain("SUCCESS");
  });

  it("only uses metrics the README documents", () => {
    const readme = readFileSync("README.md", "utf8");
    const used = new Set(readFileSync("compose/alerts.yml", "utf8").match(/backup_[a-z_]+/g));
    expect([...used].filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });
});
