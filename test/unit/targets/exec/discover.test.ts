import { describe, expect, it } from "vitest";
import type { ContainerInfo } from "../../../../src/docker/engine.js";
import { describeExec } from "../../../../src/targets/exec/discover.js";

function container(labels: Record<string, string>): ContainerInfo {
  return {
    id: "c1",
    name: "shop-kv-1",
    service: "kv",
    project: "shop",
    labels,
    env: {},
    image: "redis",
    running: true,
    state: "running",
  };
}

describe("exec targets", () => {
  it("takes the command, user and file name from labels, named after the Compose service", () => {
    const target = describeExec(
      container({
        "backup-agent.exec.command": "redis-cli --rdb -",
        "backup-agent.exec.user": "redis",
        "backup-agent.exec.filename": "dump.rdb",
      }),
    );
    expect(target).toMatchObject({
      kind: "exec",
      name: "kv",
      command: "redis-cli --rdb -",
      user: "redis",
      filename: "dump.rdb",
      problems: [],
    });
  });

  it("refuses an empty command and a file name that could leave its directory", () => {
    const target = describeExec(
      container({ "backup-agent.exec.command": "  ", "backup-agent.exec.filename": "../etc/passwd" }),
    );
    expect(target.problems).toEqual([
      'label backup-agent.exec.command of container shop-kv-1: expected a dump command; got "  "',
      'label backup-agent.exec.filename of container shop-kv-1: expected a file name of letters, digits, ".", "_", "-"; got "../etc/passwd"',
    ]);
  });
});
