// The in-memory repository the job tests use passes the same conformance suite as real restic.
import { MemoryRepository } from "../../../src/restic/memory-repository.js";
import { repositoryConformance } from "../../support/repository-conformance.js";

repositoryConformance("MemoryRepository", async () => {
  const repository = new MemoryRepository();
  return {
    repository,
    breakNextUpload: () => {
      repository.dieAfterBytes = 0;
    },
  };
});
