// MariaDB (Debian's package, in a locally built image) backed up by a labelled exec dump and restored
// into a fresh server with its rows intact.
import { createHash } from "node:crypto";
import { execa } from "execa";
import { afterAll, describe, expect, it, vi } from "vitest";
import { AgentProcess, baseEnv } from "./support/daemon.js";
import { docker, E2E_LABEL, removeTestContainers, uniqueName } from "./support/docker.js";
import { ensureMariadbImage, MARIADB_IMAGE } from "./support/mariadb.js";
import { newRepo, snapshots } from "./support/restic.js";

const IMAGE = MARIADB_IMAGE;
const PASSWORD = "maria-root-password";

async function startMariadb(project: string, labels: Record<string, string>) {
  const name = uniqueName(`${project}-db`);
  const args = ["run", "-d", "--name", name, "--label", E2E_LABEL, "-e", `MARIADB_ROOT_PASSWORD=${PASSWORD}`];
  args.push("-e", "MARIADB_DATABASE=shop");
  for (const [k, v] of Object.entries({
    "com.docker.compose.project": project,
    "com.docker.compose.service": "db",
    ...labels,
  }))
    args.push("--label", `${k}=${v}`);
  await docker([...args, IMAGE]);
  const sql = (query: string) =>
    docker(["exec", "-i", name, "sh", "-c", 'mariadb -uroot -p"$MARIADB_ROOT_PASSWORD" -N -B shop'], query);
  await vi.waitFor(async () => expect(await sql("SELECT 1")).toBe("1"), { timeout: 60_000, interval: 250 });
  return { name, sql };
}

afterAll(async () => {
  await removeTestContainers();
});

describe("MariaDB by exec dump", () => {
  it("backs up a MariaDB server with a labelled mariadb-dump and restores it with its rows intact", async () => {
    await ensureMariadbImage();
    const project = `e2e-maria-${createHash("sha1").update(String(Date.now())).digest("hex").slice(0, 6)}`;
    const source = await startMariadb(project, {
      "backup-agent.exec.command": 'mariadb-dump -uroot -p"$MARIADB_ROOT_PASSWORD" --single-transaction --databases shop',
      "backup-agent.exec.filename": "shop.sql",
    });
    await source.sql(
      "CREATE TABLE orders (id INT PRIMARY KEY, body TEXT, price DECIMAL(10,2)); " +
        "INSERT INTO orders SELECT seq, REPEAT(MD5(seq), 4), seq / 7 FROM seq_1_to_5000;",
    );
    const digest = "SELECT COUNT(*), SUM(CRC32(CONCAT(id, body, price))) FROM orders";
    const expected = await source.sql(digest);
    expect(expected.startsWith("5000\t")).toBe(true);

    const repo = await newRepo("e2e-maria");
    const agent = new AgentProcess(["run", "backup"], baseEnv({ ...repo.env, BACKUP_COMPOSE_PROJECT: project }));
    const result = await agent.process;
    expect(result.exitCode, agent.output).toBe(0);
    expect(agent.output).not.toContain(PASSWORD);
    const [snapshot] = await snapshots(repo, "kind=exec", "target=db");
    expect(snapshot).toBeDefined();

    // A fresh server, outside the project, fed the dump straight from the repository.
    const fresh = await startMariadb(`${project}-restore`, {});
    const dump = await execa("restic", ["dump", snapshot?.id as string, snapshot?.paths[0] as string], {
      env: repo.env,
      encoding: "buffer",
    });
    await execa("docker", ["exec", "-i", fresh.name, "sh", "-c", 'mariadb -uroot -p"$MARIADB_ROOT_PASSWORD"'], {
      input: Buffer.from(dump.stdout),
    });
    expect(await fresh.sql(digest)).toBe(expected);
  });
});
