// The disaster-recovery drill, as deployed and as the README's "Disaster recovery" section says: a
// Compose project (the example stack plus PostgreSQL 15) with the agent as its `backup` profile,
// uid 10001, volumes mounted :ro, is backed up and copied offsite; then every container and volume
// (the local repository with them) is removed, the project is started fresh on empty root-owned
// volumes, and the documented commands bring every table and every file back exactly. Also: the
// weekly verify proves the offsite copy (a damaged pack there fails it while the local one passes),
// and a restore killed half-way is run again, completes, and leaves nothing behind.
import { chownSync, closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readdirSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AGENT_UID, agentProject, agentSecret, type ComposeProject, ensureAgentImage } from "./support/compose.js";
import { PG_IMAGES } from "./support/docker.js";
import { ensureMeiliDoubleImage } from "./support/meili.js";
import { psql, serverFingerprint, volumeFingerprint } from "./support/drill.js";

const work = mkdtempSync(join(tmpdir(), "backup-agent-e2e-drill-"));
const offsiteRoot = join(work, "offsite");
const FILES = ["compose/docker-compose.yml", "test/fixtures/drill/docker-compose.drill.yml"];
let project: ComposeProject;
let volume = "";

const SEED_17 = `
CREATE ROLE reader NOLOGIN;
CREATE ROLE reporting LOGIN PASSWORD 'reporting-password' IN ROLE reader;
CREATE DATABASE "shop data";
CREATE DATABASE "données" OWNER reporting;
CREATE DATABASE "it's";
INSERT INTO orders (customer, total) SELECT 'late customer ' || i, i * 0.5 FROM generate_series(1, 2000) i;
GRANT SELECT ON orders TO reader;
\\connect "shop data"
CREATE TABLE "line items" (id int PRIMARY KEY, note text, blob bytea);
INSERT INTO "line items" SELECT i, 'ligne ' || i || ' — ✓', sha256(i::text::bytea) FROM generate_series(1, 500) i;
\\connect "données"
CREATE TABLE résumé (id serial PRIMARY KEY, body text);
ALTER TABLE résumé OWNER TO reporting;
INSERT INTO résumé (body) SELECT 'été ' || i FROM generate_series(1, 300) i;
\\connect "it's"
CREATE TABLE "it's table" (id int, v jsonb);
INSERT INTO "it's table" SELECT i, jsonb_build_object('quote', 'it''s ' || i) FROM generate_series(1, 100) i;
`;

const SEED_15 = `
CREATE DATABASE "année 2025";
CREATE TABLE invoices (id int PRIMARY KEY, amount numeric(12, 2), issued date);
INSERT INTO invoices SELECT i, i * 3.3, date '2025-01-01' + (i % 365) FROM generate_series(1, 4000) i;
\\connect "année 2025"
CREATE TABLE grand_livre (id bigint, libellé text);
INSERT INTO grand_livre SELECT i, 'écriture ' || i FROM generate_series(1, 700) i;
`;

// Files of several owners and modes (setuid, setgid, sticky), symlinks (one dangling, one with its own
// owner and time), names with spaces and accents, exact times; and one large file, so that a restore
// lasts long enough to be killed half-way. Everything stays readable by uid 10001, which backs it up.
const SEED_VOLUME = `
set -e
cd /data
mkdir -p uploads grafana shared tmp
head -c 120000000 /dev/urandom > grafana/big.bin
printf 'grafana state' > grafana/grafana.db
echo "an upload" > "uploads/name with space é.txt"
chown 472:472 grafana grafana/grafana.db grafana/big.bin
chmod 0664 grafana/grafana.db
chown 999:999 uploads "uploads/name with space é.txt"
chmod 0444 "uploads/name with space é.txt"
chown 1000:1000 shared
chmod 2775 shared
chmod 1777 tmp
cp /bin/true shared/tool
chmod 4755 shared/tool
ln -s "../uploads/name with space é.txt" shared/link
chown -h 999:472 shared/link
ln -s /nowhere dangling
touch -d '2020-02-29 12:34:56.123456789' "uploads/name with space é.txt" grafana/grafana.db
touch -h -d '2021-03-01 01:02:03.5' shared/link
touch -d '2019-01-01 00:00:00' uploads shared grafana tmp
chown 1000:1000 .
chmod 0775 .
touch -d '2018-06-01 10:00:00.25' .
`;

interface Fingerprint {
  db: Record<string, string>;
  db15: Record<string, string>;
  files: string[];
}

async function fingerprint(): Promise<Fingerprint> {
  return {
    db: await serverFingerprint(project, "db", "shop"),
    db15: await serverFingerprint(project, "db15", "legacy"),
    files: await volumeFingerprint(volume),
  };
}

async function helpers(): Promise<string[]> {
  const out = await execa("docker", ["ps", "-aq", "--filter", `label=backup-agent.restore.target=${volume}`]);
  return out.stdout.split("\n").filter(Boolean);
}

/** The host is lost: every container, every volume (the local repository among them). The offsite copy stays. */
async function loseTheHost(): Promise<void> {
  await project.compose(["down", "--volumes", "--remove-orphans", "--timeout", "10"]);
  const left = await execa("docker", ["volume", "ls", "-q", "--filter", `label=com.docker.compose.project=${project.name}`]);
  expect(left.stdout.trim()).toBe("");
}

let before: Fingerprint;

beforeAll(async () => {
  // Step 5 starts the whole example stack, the Meilisearch stand-in included: nothing can be pulled here.
  await Promise.all([ensureAgentImage(), ensureMeiliDoubleImage()]);
  mkdirSync(offsiteRoot);
  chownSync(offsiteRoot, AGENT_UID, AGENT_UID);
  const offsitePassword = agentSecret(join(work, "offsite-password"));
  project = agentProject(work, "drill", FILES, {
    settings: [
      "BACKUP_OFFSITE_REPOSITORY=/offsite/repository",
      "BACKUP_OFFSITE_PASSWORD_FILE=/run/secrets/offsite-password",
      "BACKUP_EXPECTED_TARGETS=postgres/db,postgres/db15",
      "BACKUP_LOG_FORMAT=json",
    ],
    // The daemon of step 5 must not start a run of its own during the drill.
    crontab: "0 3 1 1 * backup\n",
    vars: { POSTGRES15_IMAGE: PG_IMAGES[15], OFFSITE_HOST_DIR: offsiteRoot, OFFSITE_PASSWORD_HOST_FILE: offsitePassword },
  });
  volume = `${project.name}_appdata`;
  const check = await project.agent(["run", "check"]);
  expect(check.exitCode, check.output).toBe(0);
  await project.compose(["up", "-d", "--no-build", "--wait", "--wait-timeout", "120", "db", "db15", "app"]);
  await psql(project, "db", "shop", "shop", SEED_17);
  await psql(project, "db15", "legacy", "legacy", SEED_15);
  await project.compose(["exec", "-T", "app", "sh", "-c", SEED_VOLUME]);
  before = await fingerprint();
  // The seed is what the drill must bring back: awkward names, grants, owners, several uids.
  expect(Object.keys(before.db)).toEqual(expect.arrayContaining(['données/public."résumé"', "it's/public.\"it's table\"", 'shop data/public."line items"']));
  expect(before.db["shop/public.orders"]).toMatch(/^3000 /);
  expect(before.files.some((f) => f.startsWith("shared/tool|f|0:1000|4755|")), before.files.join("\n")).toBe(true);

  const backup = await project.agent(["run", "backup"]);
  expect(backup.exitCode, backup.output).toBe(0);
  const offsite = await project.agent(["run", "offsite"]);
  expect(offsite.exitCode, offsite.output).toBe(0);
}, 900_000);

afterAll(async () => {
  await project?.down();
});

describe("verify proves the offsite copy", () => {
  it("fails naming the offsite repository when one of its packs is damaged, while the local verify passes", async () => {
    // A copy of the offsite repository with one data pack damaged, verified in place of the real one.
    const damaged = join(offsiteRoot, "damaged");
    cpSync(join(offsiteRoot, "repository"), damaged, { recursive: true });
    const packs = readdirSync(join(damaged, "data"), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const pack = packs.sort((a, b) => statSync(join(b.parentPath, b.name)).size - statSync(join(a.parentPath, a.name)).size)[0];
    if (!pack) throw new Error("the offsite repository has no data pack");
    const fd = openSync(join(pack.parentPath, pack.name), "r+");
    writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, 1000);
    closeSync(fd);
    await execa("chown", ["-R", `${AGENT_UID}:${AGENT_UID}`, damaged]);

    const verify = await project.agent(["run", "verify"], ["-e", "BACKUP_OFFSITE_REPOSITORY=/offsite/damaged", "-e", "BACKUP_CHECK_SUBSET=100%"]);
    expect(verify.exitCode, verify.output).toBe(1);
    expect(verify.output).toMatch(/offsite repository \/offsite\/damaged: restic check/);
    expect(verify.output).toContain(pack.name.slice(0, 8));
    // The local repository's targets and check all passed: only the offsite copy is named.
    const failed = verify.output.split("\n").filter((l) => /"msg":"verify of .* failed"/.test(l));
    expect(failed.every((l) => l.includes("in the offsite repository")), failed.join("\n")).toBe(true);
    const status = await project.agent(["status", "--standalone", "--json"]);
    const report = JSON.parse(status.stdout);
    expect(report.check.ok).toBe(true);
    expect(report.offsiteCheck.ok).toBe(false);
    for (const t of report.targets.filter((x: { kind: string }) => x.kind === "postgres" || x.kind === "volume")) expect(t.verify, t.target).toBe("passed");
  });
});

describe("disaster recovery from the offsite copy, as the README says", () => {
  it("brings every database and every file back exactly on a fresh host", async () => {
    await loseTheHost();
    // Step 2: the databases alone, on fresh volumes.
    await project.compose(["up", "-d", "--no-build", "--wait", "--wait-timeout", "120", "db", "db15"]);
    // The fresh volume is root's, as Docker makes it; the agent runs as 10001.
    const fresh = await execa("docker", ["run", "--rm", "-v", `${volume}:/v`, "backup-agent-test/debian:trixie", "stat", "-c", "%u %a", "/v"]).catch(() => undefined);
    expect(fresh?.stdout.trim()).toBe("0 755");
    // Step 3.
    const restore = await project.agent(["restore", "all", "--from", "offsite", "--yes"]);
    expect(restore.exitCode, restore.output).toBe(0);
    expect(restore.output).toContain("Reading the offsite repository /offsite/repository");
    expect(restore.output).toMatch(/Resolved to the newest backups, the latest of them from \d{4}-\d\d-\d\dT/);
    // Step 4: the new local repository, deduplicating against the offsite history.
    const check = await project.agent(["run", "check"]);
    expect(check.exitCode, check.output).toBe(0);
    expect(check.output).toContain("chunker parameters of the offsite repository");
    // Step 5.
    await project.compose(["up", "-d", "--no-build"]);
    const backup = await project.agent(["run", "backup"]);
    expect(backup.exitCode, backup.output).toBe(0);

    const after = await fingerprint();
    expect(after.files).toEqual(before.files);
    expect(after.db).toEqual(before.db);
    expect(after.db15).toEqual(before.db15);
    expect(await helpers()).toEqual([]);
  });

  it("completes when the agent is killed half-way through the restore and run again, leaving nothing behind", async () => {
    await loseTheHost();
    await project.compose(["up", "-d", "--no-build", "--wait", "--wait-timeout", "120", "db", "db15"]);
    const name = `${project.name}-restore-killed`;
    const killed = project.start(["run", "--rm", "--name", name, "backup-agent", "restore", "all", "--from", "offsite", "--yes"]);
    // The databases come first; once the volume's helper runs, the volume is half-way.
    await vi.waitFor(async () => expect((await helpers()).length).toBe(1), { timeout: 180_000, interval: 100 });
    await execa("docker", ["kill", "--signal", "KILL", name]);
    const first = await killed;
    expect(first.exitCode).not.toBe(0);
    // The killed agent could not clean up: its helper is still there.
    expect((await helpers()).length).toBe(1);

    const again = await project.agent(["restore", "all", "--from", "offsite", "--yes"]);
    expect(again.exitCode, again.output).toBe(0);
    expect(again.output).toContain("removed leftover throwaway container");
    expect(await helpers()).toEqual([]);
    const after = await fingerprint();
    expect(after.files).toEqual(before.files);
    expect(after.db).toEqual(before.db);
    expect(after.db15).toEqual(before.db15);
    const runs = await execa("docker", ["ps", "-aq", "--filter", `name=${name}`]);
    expect(runs.stdout.trim()).toBe("");
  });
});
