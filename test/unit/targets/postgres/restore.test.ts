import { describe, expect, it } from "vitest";
import { withoutExistingRoles } from "../../../../src/targets/postgres/restore.js";

describe("replaying the globals of a backup", () => {
  const globals = [
    "\\restrict abc",
    "SET default_transaction_read_only = off;",
    "CREATE ROLE app;",
    "ALTER ROLE app WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS PASSWORD 'SCRAM-SHA-256$x';",
    'CREATE ROLE "shop owner";',
    'ALTER ROLE "shop owner" WITH NOSUPERUSER LOGIN;',
    "CREATE ROLE reporting;",
    "ALTER ROLE reporting WITH NOLOGIN;",
    'GRANT reporting TO "shop owner" WITH INHERIT TRUE GRANTED BY app;',
  ].join("\n");

  it("creates only the roles the server lacks, and never sets back an existing role's password", () => {
    const sql = withoutExistingRoles(globals, new Set(["app", "reporting"]));
    expect(sql).not.toContain("ALTER ROLE app");
    expect(sql).not.toContain("CREATE ROLE reporting");
    expect(sql).toContain('CREATE ROLE "shop owner";');
    expect(sql).toContain('ALTER ROLE "shop owner" WITH NOSUPERUSER LOGIN;');
    expect(sql).toContain('GRANT reporting TO "shop owner"');
    expect(sql).toContain("\\restrict abc");
  });
});
