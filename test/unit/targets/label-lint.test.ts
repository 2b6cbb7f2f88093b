// Labels that would silently do nothing are named with their container, label and value.
import { afterEach, describe, expect, it } from "vitest";
import { forgetSecrets, redact } from "../../../src/config/redact.js";
import { labelProblems } from "../../../src/targets/label-lint.js";
import { buildKinds, labelRules } from "../../../src/targets/registry.js";
import { FakeDocker } from "../../support/fake-docker.js";

const fake = new FakeDocker([], () => ({ exitCode: 0 }));
const kinds = buildKinds({ engine: fake, sandbox: fake, hookTimeoutMs: 1, walMaxRetained: "8GB", meilisearch: { apiKey: undefined, pollIntervalMs: 1, timeoutMs: 1 }, volumes: { root: "/v", names: [] }, helper: async () => undefined });
const rules = labelRules(kinds);

afterEach(forgetSecrets);

describe("label lint", () => {
  it("accepts every label a kind or a hook reads, and labels of other tools", () => {
    const labels = Object.fromEntries([...kinds.flatMap((k) => k.labels), "backup-agent.hook.pre", "backup-agent.hook.user", "com.docker.compose.project", "backup.enabled"].map((l) => [l, "true"]));
    delete labels["backup-agent.exclude"];
    expect(labelProblems(labels, rules.container)).toEqual([]);
  });

  it("names an unknown backup-agent label with the one probably meant", () => {
    expect(labelProblems({ "backup-agent.postgress": "true" }, rules.container)).toEqual([
      'label backup-agent.postgress="true": not a label backup-agent knows (did you mean backup-agent.postgres?)',
    ]);
    expect(labelProblems({ "Backup-Agent.postgres": "true" }, rules.container)).toEqual([
      'label Backup-Agent.postgres="true": label names are case-sensitive: expected backup-agent.postgres',
    ]);
  });

  it("names a misspelt prefix, with what it should have been", () => {
    for (const [key, expected] of [
      ["backup_agent.postgres", "backup-agent.postgres"],
      ["backup-agnet.exec.command", "backup-agent.exec.command"],
      ["backupagent.meilisearch", "backup-agent.meilisearch"],
      ["backup-agent-postgres", "backup-agent.postgres"],
      ["backup.agent.hook.pre", "backup-agent.hook.pre"],
    ]) {
      expect(labelProblems({ [key as string]: "x" }, rules.container)).toEqual([
        `label ${key}="x": looks like a backup-agent label with a misspelt prefix, which backup-agent ignores (expected ${expected})`,
      ]);
    }
  });

  it("leaves labels with a look-alike prefix alone when nothing of ours follows it", () => {
    expect(labelProblems({ "backup-agent-e2e": "1", backup_agent_version: "2", "backup-agnet.foo": "x" }, rules.container)).toEqual([]);
  });

  it("names a kind's label without the label that enables the kind, a bad switch, and a volume's label on a container", () => {
    expect(labelProblems({ "backup-agent.postgres.user": "app", "backup-agent.hook.timeout": "5m", "backup-agent.stop-during-backup": "yes", "backup-agent.exclude": "true" }, rules.container)).toEqual([
      'label backup-agent.postgres.user="app": does nothing without backup-agent.postgres',
      'label backup-agent.hook.timeout="5m": does nothing without backup-agent.hook.pre or backup-agent.hook.post',
      'label backup-agent.stop-during-backup="yes": expected true or false',
      "label backup-agent.exclude=\"true\": is a volume's label (put it on the volume): here it does nothing",
    ]);
    expect(labelProblems({ "backup-agent.exclude": "yes", "backup-agent.exlude": "true" }, rules.volume)).toEqual([
      'label backup-agent.exclude="yes": expected true or false',
      'label backup-agent.exlude="true": not a label backup-agent knows (did you mean backup-agent.exclude?)',
    ]);
  });

  it("shows a value whose label looks like a secret's by its length, and hides it from every output", () => {
    expect(labelProblems({ "backup-agent.postgres.password": "Sup3r-S3cret-Label" }, rules.container)).toEqual([
      "label backup-agent.postgres.password=<redacted, 18 characters>: not a label backup-agent knows (did you mean backup-agent.postgres.password-env?)",
    ]);
    expect(redact("the value Sup3r-S3cret-Label")).toBe("the value [redacted]");
  });
});
