// An S3 endpoint for the S3 offsite scenarios: moto's server on loopback (installed by the bench), or
// a real one (MinIO, R2, AWS) named by S3_TEST_REPOSITORY and its keys.
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { execa, type ResultPromise } from "execa";
import { freePort } from "./daemon.js";

/** Where the bench puts moto (test/bench/setup.sh). */
export const MOTO_DIR = "/usr/local/lib/backup-agent-bench/moto";
const LAUNCHER = new URL("../../fixtures/s3/moto-s3.py", import.meta.url).pathname;

export interface S3Endpoint {
  /** A fresh repository location: `s3:<endpoint>/<bucket>/<prefix>`. */
  repository(name: string): string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string | undefined;
  stop(): Promise<void>;
}

export async function startMoto(): Promise<S3Endpoint> {
  const port = await freePort();
  const child: ResultPromise = execa("/usr/bin/python3", [LAUNCHER, String(port)], {
    env: { PYTHONPATH: MOTO_DIR, PATH: process.env.PATH ?? "" },
    extendEnv: false,
    reject: false,
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await Promise.race([
    once(lines, "line").then(([line]) => String(line)),
    child.then((r) => {
      throw new Error(`moto's S3 server exited ${r.exitCode} before it answered (run test/bench/setup.sh): ${String(r.stderr).slice(-800)}`);
    }),
  ]);
  const keys = JSON.parse(first) as { accessKeyId: string; secretAccessKey: string };
  const bucket = `e2e-${randomBytes(4).toString("hex")}`;
  return {
    repository: (name) => `s3:http://127.0.0.1:${port}/${bucket}/${name}`,
    ...keys,
    region: undefined,
    async stop() {
      if (child.exitCode === null) child.kill("SIGKILL");
      await child;
    },
  };
}

/** The real endpoint named in the environment, or undefined when none is. */
export function realEndpoint(): S3Endpoint | undefined {
  const base = process.env.S3_TEST_REPOSITORY;
  const accessKeyId = process.env.S3_TEST_ACCESS_KEY_ID;
  const secretAccessKey = process.env.S3_TEST_SECRET_ACCESS_KEY;
  if (!base || !accessKeyId || !secretAccessKey) return undefined;
  const run = `backup-agent-e2e-${randomBytes(4).toString("hex")}`;
  return {
    repository: (name) => `${base.replace(/\/$/, "")}/${run}/${name}`,
    accessKeyId,
    secretAccessKey,
    region: process.env.S3_TEST_REGION,
    stop: async () => undefined,
  };
}
