// Where the stdin gate (stdin-gate.pl, beside this file in src/ and dist/) is, and how restic runs it.
import { fileURLToPath } from "node:url";

const GATE = fileURLToPath(new URL("./stdin-gate.pl", import.meta.url));

/** The gate as a command line: restic runs it after `--stdin-from-command --`. */
export function gateCommand(dataFifo: string, controlFifo: string): string[] {
  return ["perl", GATE, dataFifo, controlFifo];
}

/** What the gate says on stderr when restic starts it (restic prefixes "subprocess perl: "). */
export const GATE_READY = "backup-agent stdin gate: ready";
