// Splits Docker's multiplexed exec stream (8-byte frame headers) into stdout data and stderr text.
// docker-modem's demuxStream ignores backpressure and never ends its outputs; this Transform does
// both, so a dump streams at the pace restic reads it and memory stays flat.
import { Transform, type TransformCallback } from "node:stream";

const HEADER = 8;

export class DockerDemux extends Transform {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #frameType = -1;
  #frameLeft = 0;

  constructor(private readonly onStderr: (chunk: Buffer) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#frameLeft === 0) {
        // Collect a whole header, which may straddle chunks.
        const need = HEADER - this.#pendingBytes;
        const piece = chunk.subarray(offset, offset + need);
        this.#pending.push(piece);
        this.#pendingBytes += piece.length;
        offset += piece.length;
        if (this.#pendingBytes < HEADER) break;
        const header = Buffer.concat(this.#pending, HEADER);
        this.#pending = [];
        this.#pendingBytes = 0;
        this.#frameType = header.readUInt8(0);
        this.#frameLeft = header.readUInt32BE(4);
        if (this.#frameType > 2) {
          done(new Error(`unexpected Docker stream frame type ${this.#frameType}: is the exec using a TTY?`));
          return;
        }
        continue;
      }
      const take = Math.min(this.#frameLeft, chunk.length - offset);
      const payload = chunk.subarray(offset, offset + take);
      offset += take;
      this.#frameLeft -= take;
      if (this.#frameType === 1) this.push(payload);
      else if (this.#frameType === 2) this.onStderr(payload);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.#frameLeft > 0 || this.#pendingBytes > 0) {
      done(new Error(`the Docker stream ended inside a frame (${this.#frameLeft} bytes missing)`));
      return;
    }
    done();
  }
}
