// The `offsite` job: `restic copy` of the agent's snapshots from the local repository into the
// offsite one (initialised with the local chunker parameters when absent), then with --prune the
// offsite policy there. It only reads the local repository: an offsite failure never touches it.

import type { Secret } from "../config/secret.js";
import { BackupError } from "../core/errors.js";
import type { Job } from "../core/job.js";
import type { RepositoryMetrics } from "../report/repository-metrics.js";
import type { ResticEnv } from "../restic/command.js";
import { runRestic } from "../restic/command.js";
import type { RetentionPolicy } from "../restic/forget.js";
import { ResticRepository } from "../restic/repository.js";
import { AGENT_TAG } from "../restic/tags.js";
import { applyRetention } from "./retention.js";

export interface OffsiteDeps {
  repository: ResticRepository;
  offsite: { repository: Secret; repositoryDisplay: string; password: Secret } | undefined;
  offsitePolicy: RetentionPolicy;
  repositoryMetrics: RepositoryMetrics;
}

/** The offsite repository as restic's main one, the local one as `--from-repo`, both via env only. */
export function offsiteEnv(local: ResticEnv, offsite: NonNullable<OffsiteDeps["offsite"]>): ResticEnv {
  return {
    binary: local.binary,
    repository: offsite.repository,
    password: offsite.password,
    extra: {
      RESTIC_FROM_REPOSITORY: local.repository.reveal(),
      RESTIC_FROM_PASSWORD: local.password.reveal(),
    },
  };
}

export function offsiteJob(deps: OffsiteDeps): Job {
  return {
    name: "offsite",
    async run(ctx) {
      const offsite = deps.offsite;
      if (!offsite) {
        throw new BackupError(
          "offsite: no offsite repository is configured (set BACKUP_OFFSITE_REPOSITORY and BACKUP_OFFSITE_PASSWORD)",
        );
      }
      const display = `offsite repository ${offsite.repositoryDisplay}`;
      const env = offsiteEnv(deps.repository.env, offsite);
      const remote = new ResticRepository(env, offsite.repositoryDisplay);
      const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
        try {
          return await fn();
        } catch (error) {
          throw new BackupError(`${display}: ${what}: ${(error as Error).message}`, {
            target: offsite.repositoryDisplay,
            cause: error,
          });
        }
      };
      // Exit code 10 (no repository) is the only answer that leads to init; anything else fails.
      const created = await step("open", () =>
        remote.ensureInitialised(ctx.signal, ctx.log, ["--copy-chunker-params"]),
      );
      if (created)
        ctx.log.info(
          { repository: offsite.repositoryDisplay },
          "offsite repository initialised with the local chunker parameters",
        );
      await step("copy", () =>
        runRestic(env, ["copy", "--tag", AGENT_TAG, "--quiet"], ctx.signal),
      );
      ctx.log.info({ repository: offsite.repositoryDisplay }, "snapshots copied offsite");
      deps.repositoryMetrics.offsiteLastSuccess.set(Date.now() / 1000);
      if (ctx.flags.has("prune")) {
        await applyRetention(
          { env, display, policy: deps.offsitePolicy, policyVariables: "BACKUP_OFFSITE_KEEP_*" },
          ctx,
        );
      }
    },
  };
}
