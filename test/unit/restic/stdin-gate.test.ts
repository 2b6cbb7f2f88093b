// The stdin gate as restic runs it: a real perl process between two FIFOs and a pipe, driven the way
// the agent drives it (FIFOs held open read-write, data first, then "commit <bytes>").
import { constants, openSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { GATE_READY, gateCommand } from "../../../src/restic/stdin-gate.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function startGate() {
  return startGateAfter(() => undefined);
}

/** FIFOs opened as the agent opens them, `before` run, then the gate started as restic starts it. */
async function startGateAfter(before: (sockets: { data: Socket; control: Socket }) => void | Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), "gate-test-"));
  dirs.push(dir);
  const data = join(dir, "data");
  const control = join(dir, "control");
  await execa("mkfifo", ["-m", "600", data, control]);
  const open = (path: string) =>
    new Socket({ fd: openSync(path, constants.O_RDWR | constants.O_NONBLOCK), readable: false, writable: true });
  // As the agent does: both FIFOs are open before restic starts the gate.
  const sockets = { data: open(data), control: open(control) };
  await before(sockets);
  // Closing a socket's descriptor is asynchronous: give it a moment before the gate opens the FIFO.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const [command = "", ...args] = gateCommand(data, control);
  const gate = execa(command, args, { reject: false, encoding: "buffer", stripFinalNewline: false });
  // The gate says it is ready once it has the FIFOs open (restic's agent waits for the same words).
  const ready = new Promise<void>((resolve) => {
    let said = "";
    gate.stderr?.on("data", (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes(GATE_READY)) resolve();
    });
  });
  return { gate, ready, ...sockets };
}

const write = (socket: Socket, chunk: string | Buffer) =>
  new Promise<void>((resolve, reject) => socket.write(chunk, (error) => (error ? reject(error) : resolve())));

describe("stdin gate", () => {
  it("passes every byte and exits 0 when the agent commits the count it sent", async () => {
    const { gate, data, control } = await startGate();
    const payload = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) % 251;
    await write(data, payload);
    await write(control, `commit ${payload.length}\n`);
    const result = await gate;
    data.destroy();
    control.destroy();
    expect(result.exitCode).toBe(0);
    expect(Buffer.compare(result.stdout as Uint8Array, payload)).toBe(0);
  });

  it("exits 0 for an empty file committed as 0 bytes", async () => {
    const { gate, data, control } = await startGate();
    await write(control, "commit 0\n");
    const result = await gate;
    data.destroy();
    control.destroy();
    expect(result.exitCode).toBe(0);
    expect(result.stdout.length).toBe(0);
  });

  it("exits 1 when the agent goes away mid-stream without a commit", async () => {
    const { gate, ready, data, control } = await startGate();
    await write(data, Buffer.alloc(100_000, 1));
    await ready;
    data.destroy();
    control.destroy();
    const result = await gate;
    expect(result.exitCode).toBe(1);
    expect(Buffer.from(result.stderr).toString()).toMatch(/without a commit: refusing the snapshot/);
  });

  it("exits 1 when the agent committed fewer bytes than it sent", async () => {
    const { gate, data, control } = await startGate();
    await write(data, Buffer.alloc(5000, 1));
    await write(control, "commit 4000\n");
    const result = await gate;
    data.destroy();
    control.destroy();
    expect(result.exitCode).toBe(1);
    expect(Buffer.from(result.stderr).toString()).toMatch(/5000 bytes arrived but the agent committed 4000/);
  });

  it("exits 1 when fewer bytes than committed arrive before the agent goes away", async () => {
    const { gate, ready, data, control } = await startGate();
    await write(data, Buffer.alloc(1000, 1));
    await write(control, "commit 2000\n");
    // The agent dies once the gate has the FIFOs open (an agent never closes them itself before).
    await ready;
    data.destroy();
    control.destroy();
    const result = await gate;
    expect(result.exitCode).toBe(1);
    expect(Buffer.from(result.stderr).toString()).toMatch(/the data ended after 1000 bytes without a commit/);
  });

  it("exits 1 at once when the agent was gone before the gate started", async () => {
    const { gate, data, control } = await startGateAfter((sockets) => {
      sockets.data.destroy();
      sockets.control.destroy();
    });
    const result = await gate;
    expect(result.exitCode).toBe(1);
    expect(Buffer.from(result.stderr).toString()).toMatch(/without a commit: refusing the snapshot/);
    data.destroy();
    control.destroy();
  });

  it("exits 1 on a control message it does not understand", async () => {
    const { gate, data, control } = await startGate();
    await write(control, "save it\n");
    const result = await gate;
    data.destroy();
    control.destroy();
    expect(result.exitCode).toBe(1);
    expect(Buffer.from(result.stderr).toString()).toMatch(/unexpected message from the agent: "save it\?"/);
  });
});
