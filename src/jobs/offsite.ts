// The `offsite` job: `restic copy` of the agent's snapshots from the local repository into the
// offsite one (initialised with the local chunker parameters when absent), then with --prune the
// offsite policy there. It only reads the local repository: an offsite failure never touches it.
import { BackupError } from "../core/errors.js";
import type { Job } from "../core/job.js";
import type { JobDeps } from "./deps.js";
import { applyRetention } from "./retention.js";

export function offsiteJob(deps: JobDeps): Job {
  return {
    name: "offsite",
    async run(ctx) {
      const offsite = deps.offsite;
      if (!offsite) {
        throw new BackupError("offsite: no offsite repository is configured (set BACKUP_OFFSITE_REPOSITORY and BACKUP_OFFSITE_PASSWORD)");
      }
      const display = `offsite repository ${offsite.display}`;
      const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
        try {
          return await fn();
        } catch (error) {
          throw new BackupError(`${display}: ${what}`, { target: offsite.display, cause: error });
        }
      };
      // Exit code 10 (no repository) is the only answer that leads to init; anything else fails.
      if (await step("open", () => offsite.ensureInitialised(ctx.signal, deps.repository))) {
        ctx.log.info({ repository: offsite.display }, "offsite repository initialised with the local chunker parameters");
      }
      await step("copy", () => offsite.copyFrom(deps.repository, ctx.signal));
      ctx.log.info({ repository: offsite.display }, "snapshots copied offsite");
      deps.metrics.repository.offsiteLastSuccess.set(Date.now() / 1000);
      if (ctx.flags.has("prune")) {
        await applyRetention({ repository: offsite, policy: deps.retention.offsite, policyVariables: "BACKUP_OFFSITE_KEEP_*" }, ctx);
      }
    },
  };
}
