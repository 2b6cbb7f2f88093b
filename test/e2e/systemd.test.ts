// The unit files in systemd/ as systemd itself reads them.
import { readFileSync } from "node:fs";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

describe("systemd units", () => {
  for (const unit of ["backup-agent.service", "backup-agent-compose.service"]) {
    it(`${unit} passes systemd-analyze verify`, async () => {
      const result = await execa("systemd-analyze", ["verify", `systemd/${unit}`], { reject: false });
      expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(result.stderr).toBe("");
    });
  }

  it("reads its settings from /etc/backup-agent.env, optional, and is hardened", () => {
    const stdout = readFileSync("systemd/backup-agent.service", "utf8");
    expect(stdout).toContain("EnvironmentFile=-/etc/backup-agent.env");
    // SIGTERM to the agent alone: it gives running jobs their grace, then stops restic itself.
    expect(stdout).toContain("KillMode=mixed");
    for (const setting of [
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "ProtectHome=yes",
      "PrivateTmp=yes",
    ]) {
      expect(stdout).toContain(setting);
    }
  });
});
