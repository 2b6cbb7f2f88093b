// The stand-ins of deferred modules: what depends on them loads without them, and the real module
// loads the first time it is used. Each test file runs in its own process, so the module cache is fresh.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { deferRequire } from "../../../src/core/deferred-require.js";

const require = createRequire(import.meta.url);
const loaded = (part: string) => Object.keys(require.cache).some((file) => file.includes(part));

describe("deferRequire", () => {
  it("loads dockerode without gRPC and ssh2, and each on its first use", () => {
    expect(loaded("/@grpc/grpc-js/")).toBe(false);
    deferRequire("dockerode", "./session.js");
    const ssh = deferRequire("dockerode", "docker-modem/lib/ssh.js");
    const Docker = require("dockerode") as new (options: object) => { modem: object };
    const docker = new Docker({ socketPath: "/nonexistent.sock" });
    expect(docker.modem).toBeDefined();
    expect(loaded("/@grpc/grpc-js/")).toBe(false);
    expect(loaded("/ssh2/")).toBe(false);

    // docker-modem calls its ssh module for an ssh:// engine: the stand-in loads the real one then.
    const agent = (require(ssh) as (options: object) => { createConnection: unknown })({ host: "127.0.0.1", port: 1 });
    expect(typeof agent.createConnection).toBe("function");
    expect(loaded("/ssh2/")).toBe(true);
    expect(loaded("/@grpc/grpc-js/")).toBe(false);
  });

  it("loads prom-client without OpenTelemetry, and OpenTelemetry when a property is read", () => {
    const api = deferRequire("prom-client", "@opentelemetry/api");
    const prom = require("prom-client") as typeof import("prom-client");
    prom.collectDefaultMetrics({ register: new prom.Registry() });
    // Still the stand-in (a function; the real module is an object), in the file's place in the cache.
    expect(typeof require(api)).toBe("function");
    expect((require(api) as { trace: { getSpan: unknown } }).trace.getSpan).toBeTypeOf("function");
    expect(typeof require(api)).toBe("object");
  });

  it("leaves a module that is already loaded as it is", () => {
    const real = require("undici") as object;
    const file = deferRequire("dockerode", "undici");
    expect(require(file)).toBe(real);
  });
});
