// Run by restic as its --stdin-from-command: copies the agent's data FIFO to stdout and exits 0 only
// once the agent has confirmed the commit with the byte count and exactly that many bytes arrived.
// If the agent dies mid-stream (SIGKILL, OOM, docker stop past its grace), both FIFOs reach EOF
// without a confirmation: the gate exits 1 and restic saves no snapshot. Plain JavaScript, so it
// runs from src/ in tests as well as from dist/.
import { constants, openSync } from "node:fs";
import { Socket } from "node:net";

const [dataPath, controlPath] = process.argv.slice(2);
if (!dataPath || !controlPath) {
  process.stderr.write("usage: stdin-gate.js DATA_FIFO CONTROL_FIFO\n");
  process.exit(2);
}

const refuse = (why) => {
  process.stderr.write(`backup-agent stdin gate: ${why}: refusing the snapshot\n`);
  process.exit(1);
};
// Non-blocking opens: if the agent is already gone there is no writer, and reads end at once.
const open = (path) =>
  new Socket({
    fd: openSync(path, constants.O_RDONLY | constants.O_NONBLOCK),
    readable: true,
    writable: false,
  });

let received = 0;
let expected;
const finishIfComplete = () => {
  if (expected === undefined || received < expected) return;
  if (received > expected) refuse(`${received} bytes arrived but the agent committed ${expected}`);
  process.stdout.end(() => process.exit(0));
};

process.stdout.on("error", (error) => refuse(`writing to restic failed (${error.code ?? error.message})`));
const data = open(dataPath);
data.on("data", (chunk) => {
  received += chunk.length;
  if (!process.stdout.write(chunk)) {
    data.pause();
    process.stdout.once("drain", () => data.resume());
  }
  finishIfComplete();
});
data.on("end", () => refuse(`the data ended after ${received} bytes without a commit`));
data.on("error", (error) => refuse(`reading the data failed (${error.code ?? error.message})`));

let control = "";
const controlStream = open(controlPath);
controlStream.setEncoding("utf8");
controlStream.on("data", (text) => {
  control += text;
  const match = /^commit (\d+)\n/.exec(control);
  if (match) {
    expected = Number(match[1]);
    finishIfComplete();
  } else if (control.includes("\n") || control.length > 64) {
    refuse(`unexpected message from the agent: ${JSON.stringify(control.slice(0, 64))}`);
  }
});
controlStream.on("end", () => {
  if (expected === undefined) refuse(`the agent went away after ${received} bytes without a commit`);
});
