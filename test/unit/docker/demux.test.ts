import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { DockerDemux } from "../../../src/docker/demux.js";

function frame(type: number, payload: string): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(Buffer.byteLength(payload), 4);
  return Buffer.concat([header, Buffer.from(payload)]);
}

async function demux(chunks: Buffer[]) {
  let stderr = "";
  const d = new DockerDemux((c) => (stderr += c.toString()));
  const out: Buffer[] = [];
  d.on("data", (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => {
    d.on("end", resolve);
    d.on("error", reject);
  });
  const source = new PassThrough();
  source.pipe(d);
  for (const c of chunks) source.write(c);
  source.end();
  await done;
  return { stdout: Buffer.concat(out).toString(), stderr };
}

describe("DockerDemux", () => {
  it("routes stdout frames to its output and stderr frames aside", async () => {
    const result = await demux([frame(1, "hello "), frame(2, "warning\n"), frame(1, "world")]);
    expect(result).toEqual({ stdout: "hello world", stderr: "warning\n" });
  });

  it("reassembles headers and payloads split across any chunk boundary", async () => {
    const whole = Buffer.concat([frame(1, "abcdefghij"), frame(2, "err"), frame(1, "klmnop"), frame(1, "")]);
    for (let size = 1; size <= 9; size++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < whole.length; i += size) chunks.push(whole.subarray(i, i + size));
      expect(await demux(chunks)).toEqual({ stdout: "abcdefghijklmnop", stderr: "err" });
    }
  });

  it("fails when the stream ends inside a frame, so a cut stream is never taken as complete", async () => {
    const cut = frame(1, "0123456789").subarray(0, 12);
    await expect(demux([cut])).rejects.toThrow(/ended inside a frame \(6 bytes missing\)/);
  });

  it("refuses a stream that is not multiplexed", async () => {
    await expect(demux([Buffer.from("plain text from a TTY exec")])).rejects.toThrow(/frame type/);
  });
});
