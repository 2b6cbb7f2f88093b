// The agent's version, from package.json: light to load, for `version` and the usage text.
import { createRequire } from "node:module";

export const VERSION: string = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
