import { describe, expect, it } from "vitest";
import type { ContainerInfo } from "../../../../src/docker/engine.js";
import { describePostgres, selectDatabases } from "../../../../src/targets/postgres/discover.js";
import { clientEnv } from "../../../../src/targets/postgres/sql.js";

function container(labels: Record<string, string>, env: Record<string, string> = {}): ContainerInfo {
  return {
    id: "c1",
    name: "shop-db-1",
    service: "db",
    project: "shop",
    labels: { "backup-agent.postgres": "true", ...labels },
    env,
    image: "postgres:17",
    running: true,
    state: "running",
  };
}

describe("describePostgres", () => {
  it("takes the user, password and maintenance database from the container's own environment", () => {
    const t = describePostgres(
      container({}, { POSTGRES_USER: "shop", POSTGRES_PASSWORD: "pw", POSTGRES_DB: "shopdb" }),
    );
    expect(t).toMatchObject({
      name: "db",
      user: "shop",
      maintenanceDb: "shopdb",
      compress: "0",
      globals: true,
      problems: [],
    });
    expect(clientEnv(t, "orders")).toEqual(["PGUSER=shop", "PGPASSWORD=pw", "PGDATABASE=orders"]);
  });

  it("defaults like the official image when the environment says nothing", () => {
    expect(describePostgres(container({}))).toMatchObject({ user: "postgres", maintenanceDb: "postgres" });
  });

  it("lets labels override the user, its password variable, the databases and the compression", () => {
    const t = describePostgres(
      container(
        {
          "backup-agent.postgres.user": "backup",
          "backup-agent.postgres.password-env": "BACKUP_PW",
          "backup-agent.postgres.databases": "a, b",
          "backup-agent.postgres.compress": "zstd:3",
          "backup-agent.postgres.globals": "false",
        },
        { POSTGRES_USER: "owner", POSTGRES_PASSWORD: "owner-pw", BACKUP_PW: "backup-pw" },
      ),
    );
    expect(t).toMatchObject({
      user: "backup",
      include: ["a", "b"],
      compress: "zstd:3",
      globals: false,
      problems: [],
    });
    expect(clientEnv(t)).toEqual(["PGUSER=backup", "PGPASSWORD=backup-pw"]);
  });

  it("counts rows in the dump by default, and by query when the dump is compressed or the label says so", () => {
    expect(describePostgres(container({})).rowCounts).toBe("dump");
    expect(describePostgres(container({ "backup-agent.postgres.compress": "none" })).rowCounts).toBe("dump");
    expect(describePostgres(container({ "backup-agent.postgres.compress": "6" })).rowCounts).toBe("query");
    expect(describePostgres(container({ "backup-agent.postgres.compress": "zstd:3" })).rowCounts).toBe("query");
    expect(describePostgres(container({ "backup-agent.postgres.row-counts": "query" })).rowCounts).toBe("query");
    expect(describePostgres(container({ "backup-agent.postgres.row-counts": "off", "backup-agent.postgres.compress": "6" })).rowCounts).toBe("off");
  });

  it("never hands the owner's password to another role", () => {
    const t = describePostgres(
      container({ "backup-agent.postgres.user": "backup" }, { POSTGRES_PASSWORD: "owner-pw" }),
    );
    expect(clientEnv(t)).toEqual(["PGUSER=backup"]);
  });

  it("reports labels it cannot use, naming the label and the value", () => {
    const t = describePostgres(
      container({
        "backup-agent.postgres.compress": "11",
        "backup-agent.postgres.globals": "yes",
        "backup-agent.postgres.password-env": "NOPE",
        "backup-agent.postgres.row-counts": "exact",
      }),
    );
    expect(t.problems).toEqual([
      'label backup-agent.postgres.compress of container shop-db-1: expected 0-9, gzip:N, lz4 or zstd:N; got "11"',
      'label backup-agent.postgres.row-counts of container shop-db-1: expected dump, query, off; got "exact"',
      'label backup-agent.postgres.globals of container shop-db-1: expected true or false; got "yes"',
      'label backup-agent.postgres.password-env of container shop-db-1: expected the name of a variable in the container\'s environment; got "NOPE", which the container does not have',
    ]);
  });
});

describe("selectDatabases", () => {
  const existing = ["app", "postgres", "reports"];
  it("takes every database but the excluded ones", () => {
    const t = describePostgres(container({ "backup-agent.postgres.exclude": "reports" }));
    expect(selectDatabases(t, existing)).toEqual({ selected: ["app", "postgres"], problems: [] });
  });

  it("names an included database that does not exist instead of skipping it quietly", () => {
    const t = describePostgres(container({ "backup-agent.postgres.databases": "app,billing" }));
    expect(selectDatabases(t, existing)).toEqual({
      selected: ["app"],
      problems: ['database "billing" named in the databases label does not exist'],
    });
  });
});
