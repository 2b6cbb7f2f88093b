// The image and compose/ as an operator uses them: the agent built from the Dockerfile runs as the
// `backup` profile of the example stack, backs it up on its schedule, serves /metrics to a real
// Prometheus, and (in the socket-proxy variant) reaches Docker only through the proxy's allow-list.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AGENT_UID, agentProject, type ComposeProject, ensureAgentImage, ensureProxyImage } from "./support/compose.js";
import { metricValue, scrape } from "./support/prometheus.js";
import { freePort } from "./support/daemon.js";
import { PG_IMAGES } from "./support/docker.js";
import { ensureMeiliDoubleImage } from "./support/meili.js";

const work = mkdtempSync(join(tmpdir(), "backup-agent-e2e-compose-"));
const started: ComposeProject[] = [];

/** A project of the example stack plus the agent, on local images, with its settings under `work`. */
function newProject(kind: string, files: string[]): ComposeProject {
  const project = agentProject(work, kind, files, {
    settings: ["BACKUP_EXPECTED_TARGETS=postgres/db,meilisearch/meilisearch", "BACKUP_MEILI_POLL_INTERVAL=1s", "BACKUP_LOG_FORMAT=json"],
  });
  started.push(project);
  return project;
}

/** Creates the repository the way the README says (a one-off `run check`), then starts everything. */
async function bringUp(project: ComposeProject): Promise<string> {
  const check = await project.compose(["run", "--rm", "backup-agent", "run", "check"], { reject: false });
  expect(check.exitCode, `${check.stdout}\n${check.stderr}`).toBe(0);
  await project.compose(["up", "-d", "--no-build", "--wait", "--wait-timeout", "120", "db", "meilisearch", "app"]);
  await project.compose(["up", "-d", "--no-build"]);
  return `http://${await project.port("backup-agent", 9180)}`;
}

/** Waits for the schedule's first successful `backup`; returns its time (Unix seconds). */
async function firstScheduledBackup(project: ComposeProject, base: string): Promise<number> {
  let success: number | undefined;
  try {
    await vi.waitFor(
      async () => {
        success = metricValue(await scrape(base), "backup_job_last_success_timestamp_seconds", { job: "backup" });
        expect(success).toBeDefined();
      },
      { timeout: 150_000, interval: 1_000 },
    );
  } catch (error) {
    const logs = await project.compose(["logs", "--tail", "40", "backup-agent"], { reject: false });
    throw new Error(`no successful scheduled backup; the agent's log:\n${logs.stdout}`, { cause: error });
  }
  return success as number;
}

beforeAll(async () => {
  await Promise.all([ensureAgentImage(), ensureProxyImage(), ensureMeiliDoubleImage()]);
}, 900_000);

afterAll(async () => {
  await Promise.all(started.map((p) => p.down()));
});

describe("the backup profile of compose/docker-compose.yml", () => {
  let project: ComposeProject;
  let base = "";
  let success = 0;
  const testStart = Math.floor(Date.now() / 1000);
  let prometheus: ResultPromise | undefined;

  beforeAll(async () => {
    project = newProject("compose", ["compose/docker-compose.yml"]);
    base = await bringUp(project);
    success = await firstScheduledBackup(project, base);
  }, 400_000);

  afterAll(() => {
    if (prometheus?.pid) process.kill(prometheus.pid, "SIGKILL");
  });

  it("backs up the stack's database, Meilisearch and data volume on its schedule, as uid 10001", async () => {
    expect(success).toBeGreaterThanOrEqual(testStart);
    const text = await scrape(base);
    const fresh = (labels: Record<string, string>) =>
      metricValue(text, "backup_target_last_success_timestamp_seconds", labels);
    expect(fresh({ kind: "postgres", target: "db", database: "shop" })).toBeGreaterThanOrEqual(testStart);
    expect(fresh({ kind: "meilisearch", target: "meilisearch", database: "" })).toBeGreaterThanOrEqual(testStart);
    expect(fresh({ kind: "volume", target: `${project.name}_appdata`, database: "" })).toBeGreaterThanOrEqual(
      testStart,
    );
    // The repository's own volume is labelled excluded; the data volumes are covered: nothing unprotected.
    expect(metricValue(text, "backup_unprotected_volumes", {})).toBe(0);
    const id = await project.compose(["exec", "-T", "backup-agent", "id", "-u"]);
    expect(id.stdout.trim()).toBe(String(AGENT_UID));
  });

  it("is scraped by a real Prometheus, which reports the run's time as the job's last success", async () => {
    const promPort = await freePort();
    const dir = join(work, `prometheus-${project.name}`);
    mkdirSync(dir);
    const target = new URL(base).host;
    writeFileSync(
      join(dir, "prometheus.yml"),
      [
        "global:",
        "  scrape_interval: 1s",
        "scrape_configs:",
        // As the README says: the agent's own `job` label (the backup job) must survive the scrape.
        "  - job_name: backup-agent",
        "    honor_labels: true",
        "    static_configs:",
        `      - targets: ["${target}"]`,
        "",
      ].join("\n"),
    );
    prometheus = execa(
      "prometheus",
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { reject: false, stdio: "ignore" },
    );
    const query = async (expr: string) => {
      const url = `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`;
      const body = (await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).json()) as {
        status: string;
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      expect(body.status).toBe("success");
      return body.data.result;
    };
    let last: { metric: Record<string, string>; value: [number, string] }[] = [];
    await vi.waitFor(
      async () => {
        last = await query('backup_job_last_success_timestamp_seconds{job="backup"}');
        expect(last).toHaveLength(1);
      },
      { timeout: 60_000, interval: 1_000 },
    );
    const seen = Number(last[0]?.value[1]);
    // The first success, or a later scheduled run: never a time before this test or in the future.
    expect(seen).toBeGreaterThanOrEqual(success);
    expect(seen).toBeLessThanOrEqual(Date.now() / 1000);
    expect(last[0]?.metric).toMatchObject({ job: "backup", instance: target });
    expect(last[0]?.metric).not.toHaveProperty("exported_job");
    const up = await query('up{job="backup-agent"}');
    expect(up[0]?.value[1]).toBe("1");
    const age = await query('time() - backup_target_last_success_timestamp_seconds{kind="postgres",target="db",database="shop"}');
    expect(Number(age[0]?.value[1])).toBeLessThan(Date.now() / 1000 - testStart + 5);
  });

  it("reports healthy to Docker through the image's HEALTHCHECK", async () => {
    const id = (await project.compose(["ps", "-q", "backup-agent"])).stdout.trim();
    await vi.waitFor(
      async () => {
        const status = await execa("docker", ["inspect", "-f", "{{ .State.Health.Status }}", id]);
        expect(status.stdout.trim()).toBe("healthy");
      },
      { timeout: 90_000, interval: 2_000 },
    );
  });
});

describe("compose/docker-compose.socket-proxy.yml", () => {
  let project: ComposeProject;

  beforeAll(async () => {
    project = newProject("proxy", ["compose/docker-compose.yml", "compose/docker-compose.socket-proxy.yml"]);
    const base = await bringUp(project);
    await firstScheduledBackup(project, base);
  }, 400_000);

  it("backs up through the proxy with no Docker socket in the agent's container", async () => {
    const socket = await project.compose(["exec", "-T", "backup-agent", "test", "-e", "/var/run/docker.sock"], {
      reject: false,
    });
    expect(socket.exitCode).toBe(1);
    const env = await project.compose(["exec", "-T", "backup-agent", "printenv", "DOCKER_HOST"]);
    expect(env.stdout.trim()).toBe("tcp://socket-proxy:2375");
  });

  it("restore-verifies through the proxy: throwaway container, exec with stdin, removal", async () => {
    const verify = await project.compose(["exec", "-T", "backup-agent", "node", "/app/dist/main.js", "run", "verify"], {
      reject: false,
    });
    expect(verify.exitCode, `${verify.stdout}\n${verify.stderr}`).toBe(0);
    expect(verify.stdout).toContain("verify succeeded");
  });

  it("refuses with 403 the calls the agent never makes: listing images, a container with a bind mount of /", async () => {
    const script = `
      const api = "http://socket-proxy:2375/v1.41";
      const status = async (path, init) => (await fetch(api + path, { ...init, signal: AbortSignal.timeout(10000) })).status;
      const json = { "content-type": "application/json" };
      const throwaway = { Image: "${PG_IMAGES[17]}", Labels: { "backup-agent.throwaway": "true" }, HostConfig: { NetworkMode: "none" } };
      const out = {
        containers: await status("/containers/json"),
        images: await status("/images/json"),
        hostRoot: await status("/containers/create?name=ba-e2e-evil-${randomBytes(3).toString("hex")}", {
          method: "POST", headers: json,
          body: JSON.stringify({ ...throwaway, HostConfig: { NetworkMode: "none", Binds: ["/:/host"] } }),
        }),
        privileged: await status("/containers/create", {
          method: "POST", headers: json,
          body: JSON.stringify({ ...throwaway, HostConfig: { NetworkMode: "none", privileged: true } }),
        }),
      };
      console.log(JSON.stringify(out));`;
    const result = await project.compose(["exec", "-T", "backup-agent", "node", "-e", script]);
    expect(JSON.parse(result.stdout.trim().split("\n").pop() as string)).toEqual({
      containers: 200,
      images: 403,
      hostRoot: 403,
      privileged: 403,
    });
  });
});
