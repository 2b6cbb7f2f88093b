// Which running containers mount a volume (Docker's `volume=` filter), the agent's own container
// excepted: a restore into the live volume stops them first.
import { hostname } from "node:os";
import type Docker from "dockerode";

export interface VolumeUser {
  id: string;
  name: string;
}

export async function runningUsersOf(
  docker: Pick<Docker, "listContainers">,
  volume: string,
  self = hostname(),
): Promise<VolumeUser[]> {
  const list = await docker.listContainers({ filters: { volume: [volume], status: ["running"] } });
  return list
    .map((c) => ({ id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, "") }))
    .filter((c) => !c.id.startsWith(self) && c.name !== self);
}
