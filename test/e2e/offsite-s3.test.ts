// Offsite to S3-compatible storage, end to end: moto's S3 server on loopback (SigV4 checked), or a real
// endpoint named in S3_TEST_*. Copy, retention there, a disaster restore from it by a second agent that
// knows only the S3 repository and its keys, and a wrong key that fails at once, naming the repository.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, runAgent } from "./support/daemon.js";
import { removeTestContainers, startPostgres, tableDigests, uniqueName } from "./support/docker.js";
import { newRepo, snapshots } from "./support/restic.js";
import { realEndpoint, type S3Endpoint, startMoto } from "./support/s3.js";
import { digestTree } from "./support/volumes.js";

const OFFSITE_PASSWORD = "offsite-password-of-s3";
let moto: S3Endpoint;

beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
  await removeTestContainers();
});

function keyFiles(s3: S3Endpoint): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "e2e-s3-keys-"));
  writeFileSync(join(dir, "id"), `${s3.accessKeyId}\n`);
  writeFileSync(join(dir, "secret"), `${s3.secretAccessKey}\n`);
  return {
    BACKUP_OFFSITE_AWS_ACCESS_KEY_ID_FILE: join(dir, "id"),
    BACKUP_OFFSITE_AWS_SECRET_ACCESS_KEY_FILE: join(dir, "secret"),
    ...(s3.region ? { BACKUP_OFFSITE_AWS_DEFAULT_REGION: s3.region } : {}),
  };
}

/** How restic itself (and a second agent, as a local repository) reaches the S3 repository. */
function s3Env(s3: S3Endpoint, repository: string): Record<string, string> {
  return {
    RESTIC_REPOSITORY: repository,
    RESTIC_PASSWORD: OFFSITE_PASSWORD,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    ...(s3.region ? { AWS_DEFAULT_REGION: s3.region } : {}),
  };
}

async function scenario(s3: S3Endpoint): Promise<void> {
  const project = uniqueName("e2e-s3");
  const pg = await startPostgres({ major: 15, project, service: "db", labels: { "backup-agent.postgres.databases": "appdb" } });
  await pg.psql("CREATE TABLE orders (id int PRIMARY KEY, item text); INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 2000) g;", "appdb");
  const tables = await tableDigests(pg, "appdb");
  const root = mkdtempSync(join(tmpdir(), "e2e-s3-root-"));
  mkdirSync(join(root, "uploads"));
  writeFileSync(join(root, "uploads", "invoice.pdf"), "an invoice\n".repeat(1000));
  const uploads = digestTree(join(root, "uploads"));
  const repo = await newRepo("e2e-s3");
  const offsite = s3.repository("host1");
  const scope = { BACKUP_COMPOSE_PROJECT: project, BACKUP_VOLUMES_ROOT: root, BACKUP_VOLUMES: "uploads" };
  // A bound on each offsite run, so that a hang fails with its log instead of timing the test out.
  const env = baseEnv({ ...repo.env, ...scope, BACKUP_OFFSITE_REPOSITORY: offsite, BACKUP_OFFSITE_PASSWORD: OFFSITE_PASSWORD, BACKUP_OFFSITE_TIMEOUT: "3m", ...keyFiles(s3) });
  const secrets = [s3.accessKeyId, s3.secretAccessKey, OFFSITE_PASSWORD, repo.password];

  for (let i = 0; i < 2; i++) {
    const backup = await runAgent(["run", "backup"], env);
    expect(backup.exitCode, backup.output).toBe(0);
  }
  const newest = (await snapshots(repo)).at(-1)?.tag.run;

  const copy = await runAgent(["run", "offsite"], env);
  expect(copy.exitCode, copy.output).toBe(0);
  expect(copy.output).toContain("offsite repository initialised with the local chunker parameters");
  const listOffsite = async () =>
    (JSON.parse((await execa("restic", ["snapshots", "--json", "--no-lock", "--tag", "backup-agent"], { env: s3Env(s3, offsite) })).stdout) ?? []) as { tags: string[] }[];
  expect((await listOffsite()).length).toBe((await snapshots(repo)).length);

  const prune = await runAgent(["run", "offsite", "--prune"], { ...env, BACKUP_OFFSITE_KEEP_LAST: "1" });
  expect(prune.exitCode, prune.output).toBe(0);
  const kept = await listOffsite();
  expect(kept.length).toBeGreaterThan(0);
  expect(kept.every((s) => s.tags.includes(`run=${newest}`))).toBe(true);
  for (const run of [copy, prune]) for (const secret of secrets) expect(run.output).not.toContain(secret);

  // The disaster: the host's data and local repository are gone; a second agent knows only the offsite.
  await pg.psql("DROP TABLE orders;", "appdb");
  const second = baseEnv({ ...s3Env(s3, offsite), ...scope });
  const verify = await runAgent(["run", "verify"], second);
  expect(verify.exitCode, verify.output).toBe(0);
  const restored = await runAgent(["restore", "postgres", "db", "--yes"], second);
  expect(restored.exitCode, restored.output).toBe(0);
  expect(await tableDigests(pg, "appdb")).toEqual(tables);
  const into = join(mkdtempSync(join(tmpdir(), "e2e-s3-restore-")), "uploads");
  const volume = await runAgent(["restore", "volume", "uploads", "--to", into], second);
  expect(volume.exitCode, volume.output).toBe(0);
  expect(digestTree(into)).toEqual(uploads);

  // A wrong secret key: refused by the store, so the run fails at once, naming the repository.
  const { BACKUP_OFFSITE_AWS_SECRET_ACCESS_KEY_FILE: _right, ...withoutKey } = env;
  const wrong = await runAgent(["run", "offsite"], {
    ...withoutKey,
    BACKUP_OFFSITE_AWS_SECRET_ACCESS_KEY: `not-${s3.secretAccessKey}`,
  });
  expect(wrong.exitCode).toBe(1);
  expect(wrong.output).toContain(`offsite repository ${offsite}: open`);
  expect(wrong.output).toContain("the storage refused the credentials");
  for (const secret of [...secrets, `not-${s3.secretAccessKey}`]) expect(wrong.output).not.toContain(secret);
}

describe("offsite to S3-compatible storage", () => {
  it("copies, prunes there, restores from it alone, and fails at once on a wrong key (moto's S3 server)", async () => {
    await scenario(moto);
  });

  const real = realEndpoint();
  if (!real) {
    console.log(
      "NOT RUN: the S3 offsite scenario against a real endpoint (MinIO, R2, AWS). Set S3_TEST_REPOSITORY (e.g. s3:https://<account>.r2.cloudflarestorage.com/<bucket>), S3_TEST_ACCESS_KEY_ID, S3_TEST_SECRET_ACCESS_KEY and, where needed, S3_TEST_REGION (auto for R2) to run it.",
    );
  }
  it.skipIf(!real)("does the same against the real endpoint named in S3_TEST_REPOSITORY", async () => {
    await scenario(real as S3Endpoint);
  });
});
