// `backup-agent status`: the level and exit code an operator (or a monitoring script) reads, from the
// repository standalone and from the running daemon's /status.
import { afterAll, describe, expect, it, vi } from "vitest";
import { AgentProcess, baseEnv, freePort } from "./support/daemon.js";
import { removeTestContainers, startPostgres } from "./support/docker.js";
import { newRepo } from "./support/restic.js";

const agents: AgentProcess[] = [];
afterAll(async () => {
  for (const agent of agents.splice(0)) await agent.stop();
  await removeTestContainers();
});

async function status(env: Record<string, string>, ...args: string[]) {
  const agent = new AgentProcess(["status", ...args], env);
  const result = await agent.process;
  return { exitCode: result.exitCode, stdout: String(result.stdout), output: agent.output };
}

describe("status", () => {
  it("is CRITICAL (2) before any backup, GOOD (0) after one, WARNING (1) with an expected target missing", async () => {
    const project = "e2e-status";
    await startPostgres({
      major: 15,
      project,
      service: "db",
      labels: { "backup-agent.postgres.databases": "appdb" },
    });
    const repo = await newRepo("e2e-status");
    const env = baseEnv({ ...repo.env, BACKUP_COMPOSE_PROJECT: project, BACKUP_HTTP_LISTEN: "off" });

    const before = await status(env);
    expect(before.exitCode, before.output).toBe(2);
    expect(before.stdout).toMatch(/^backup-agent status: CRITICAL/);
    expect(before.stdout).toContain("CRITICAL: the repository holds no backup at all");
    expect(before.stdout).toMatch(/postgres\/db\s+never/);

    const backup = new AgentProcess(["run", "postgres"], env);
    expect((await backup.process).exitCode, backup.output).toBe(0);

    const good = await status(env);
    expect(good.exitCode, good.output).toBe(0);
    expect(good.stdout).toMatch(/^backup-agent status: GOOD/);
    expect(good.stdout).toMatch(/postgres\/db\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+[0-9]+m\s+[\d.]+ KiB/);

    const json = await status(env, "--json");
    const report = JSON.parse(json.stdout) as { level: string; targets: { kind: string; target: string; databases: { database: string }[] }[] };
    expect(report.level).toBe("GOOD");
    expect(report.targets.find((t) => t.target === "db")?.databases.map((d) => d.database)).toEqual(["appdb"]);

    const warning = await status({ ...env, BACKUP_EXPECTED_TARGETS: "postgres/db,postgres/ghost" });
    expect(warning.exitCode, warning.output).toBe(1);
    expect(warning.stdout).toContain("Missing targets: postgres/ghost");

    const strict = await status({ ...env, BACKUP_STATUS_WARN_AFTER: "1ms", BACKUP_STATUS_CRITICAL_AFTER: "2ms" });
    expect(strict.exitCode, strict.output).toBe(2);
    expect(strict.stdout).toMatch(/CRITICAL: postgres\/db: no backup for [\d.]+ h \(critical after 0 h\)/);
  });

  it("answers from the running daemon's /status, and the CLI says so", async () => {
    const project = "e2e-status-daemon";
    await startPostgres({ major: 17, project, service: "db", labels: { "backup-agent.postgres.databases": "appdb" } });
    const repo = await newRepo("e2e-status-daemon");
    const port = await freePort();
    const env = baseEnv({ ...repo.env, BACKUP_COMPOSE_PROJECT: project });
    const backup = new AgentProcess(["run", "postgres"], env);
    expect((await backup.process).exitCode, backup.output).toBe(0);
    const verify = new AgentProcess(["run", "verify"], { ...env, BACKUP_VOLUMES_ROOT: "/nonexistent-volume-root" });
    expect((await verify.process).exitCode, verify.output).toBe(0);

    const daemon = new AgentProcess(["daemon"], env, port);
    agents.push(daemon);
    const body = await vi.waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/status`);
        expect(response.status).toBe(200);
        return (await response.json()) as { level?: string };
      },
      { timeout: 60_000, interval: 250 },
    );
    expect(body.level, daemon.output).toBe("GOOD");
    // The verify ran before this daemon started: its result comes from the record in the repository.
    expect(await daemon.metric("backup_restore_verify_success")).toBe(1);
    expect(await daemon.metric("backup_restore_verify_target_success", { kind: "postgres", target: "db", database: "appdb" })).toBe(1);

    const asked = await status({ ...env, BACKUP_HTTP_LISTEN: `127.0.0.1:${port}` });
    expect(asked.exitCode, asked.output).toBe(0);
    expect(asked.stdout).toContain(`from the daemon at http://127.0.0.1:${port}`);
    expect(asked.stdout).toMatch(/^Last verify: \S+ passed$/m);
    expect(asked.stdout).toMatch(/postgres\/db .* passed\s+ok$/m);

    await daemon.stop();
    const standalone = await status({ ...env, BACKUP_HTTP_LISTEN: `127.0.0.1:${port}` });
    expect(standalone.exitCode, standalone.output).toBe(0);
    expect(standalone.stdout).toContain("from the repository (standalone)");
  });
});
