// Volumes nothing backs up: a count and one series per volume, replaced on every scan.
import { Gauge, type Registry } from "prom-client";

export class CoverageMetrics {
  readonly count: Gauge;
  readonly volume: Gauge;

  constructor(registry: Registry) {
    this.count = new Gauge({
      name: "backup_unprotected_volumes",
      help: "Volumes of the Compose project that no target backs up and no label excludes.",
      registers: [registry],
    });
    this.volume = new Gauge({
      name: "backup_unprotected_volume",
      help: "1 for each volume of the Compose project that no target backs up and no label excludes.",
      labelNames: ["volume"],
      registers: [registry],
    });
  }

  set(unprotected: readonly string[]): void {
    this.volume.reset();
    for (const volume of unprotected) this.volume.set({ volume }, 1);
    this.count.set(unprotected.length);
  }
}
