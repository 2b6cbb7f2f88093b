// The helper image restores through the engine use: BACKUP_HELPER_IMAGE, else the image of the
// agent's own container; none when the agent runs on the host without the setting.
import type { Engine } from "../docker/engine.js";
import { ownContainer } from "../docker/owner.js";
import type { Helper } from "../targets/volumes/destination.js";

export async function restoreHelper(engine: Pick<Engine, "inspect" | "inspectStarted">, configured: string | undefined): Promise<Helper | undefined> {
  const own = await ownContainer(engine);
  const info = own ? await engine.inspect(own.id) : undefined;
  if (info) return { image: configured ?? info.image, ownMounts: info.mounts ?? [] };
  return configured ? { image: configured, ownMounts: undefined } : undefined;
}
