// Some dependencies load large modules at start that only rare paths use: dockerode loads BuildKit's
// gRPC session (@grpc/grpc-js, protobufjs) and docker-modem loads ssh2, though only image builds and
// ssh:// engines need them; prom-client loads OpenTelemetry for exemplars we never turn on. Together
// they are half of what a `run` loads (250 files, about a quarter of a second and 30 MB). Each is put
// in Node's module cache as a stand-in that loads the real module the first time it is used.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * Defers the CommonJS module `specifier` as `parent` would resolve it: anything that requires it gets
 * a stand-in, and the real module loads on the stand-in's first call, construction or property read.
 * Returns the file deferred. Call before `parent`'s package is loaded; a module already loaded stays.
 */
export function deferRequire(parent: string, specifier: string): string {
  const file = createRequire(require.resolve(parent)).resolve(specifier);
  if (require.cache[file]) return file;
  let real: unknown;
  const load = (): object => {
    if (real === undefined) {
      delete require.cache[file];
      real = require(file);
    }
    return real as object;
  };
  const standIn = new Proxy(function deferred() {}, {
    apply: (_target, self, args) => Reflect.apply(load() as (...a: unknown[]) => unknown, self, args),
    construct: (_target, args) => Reflect.construct(load() as new (...a: unknown[]) => object, args),
    get: (_target, key) => Reflect.get(load(), key),
    has: (_target, key) => Reflect.has(load(), key),
  });
  require.cache[file] = { id: file, filename: file, loaded: true, exports: standIn, children: [], paths: [] } as unknown as NodeJS.Module;
  return file;
}
