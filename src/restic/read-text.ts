// A small stored file (a manifest, a verify record) read back as text.
import type { Repository } from "./repository.js";

export async function readText(repository: Repository, snapshotId: string, path: string, signal: AbortSignal): Promise<string> {
  const stream = repository.dump(snapshotId, path, signal);
  const chunks: Buffer[] = [];
  for await (const chunk of stream.stdout) chunks.push(chunk as Buffer);
  await stream.done;
  return Buffer.concat(chunks).toString();
}
