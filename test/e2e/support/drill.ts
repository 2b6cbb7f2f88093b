// What a disaster-recovery drill compares: fingerprints of a Compose project's databases (every
// table's rows, roles, owners, grants) and volumes (every file's content, owner, mode, time and link),
// taken through the engine as an operator would (`docker compose exec`, a container on the volume).
import { execa } from "execa";
import type { ComposeProject } from "./compose.js";
import { DEBIAN_BASE } from "./compose.js";

/** psql as `user` in the service's container: unaligned tuples, stops at the first error. */
export async function psql(project: ComposeProject, service: string, user: string, database: string, sql: string): Promise<string> {
  const result = await project.compose(["exec", "-T", service, "psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-U", user, "-d", database], {
    input: sql,
  });
  return result.stdout.trim();
}

/** Each database (but the templates) with its owner, every role's login and membership, every table grant. */
export async function serverFingerprint(project: ComposeProject, service: string, user: string): Promise<Record<string, string>> {
  const q = (sql: string, db = "postgres") => psql(project, service, user, db, sql);
  const out: Record<string, string> = {
    databases: await q("SELECT datname || ' owner=' || pg_get_userbyid(datdba) || ' enc=' || pg_encoding_to_char(encoding) FROM pg_database WHERE NOT datistemplate ORDER BY 1"),
    roles: await q("SELECT rolname || ' login=' || rolcanlogin || ' super=' || rolsuper FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY 1"),
    members: await q("SELECT r.rolname || ' in ' || g.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname !~ '^pg_' ORDER BY 1"),
  };
  for (const database of (await q("SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres' ORDER BY 1")).split("\n").filter(Boolean)) {
    const tables = (await q("SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1", database))
      .split("\n")
      .filter(Boolean);
    for (const table of tables) {
      out[`${database}/${table}`] = await q(`SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM ${table} t`, database);
    }
    out[`${database}/grants`] = await q(
      "SELECT grantee || ' ' || table_schema || '.' || table_name || ' ' || privilege_type FROM information_schema.role_table_grants WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
      database,
    );
    out[`${database}/owners`] = await q("SELECT tablename || ' ' || tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", database);
  }
  return out;
}

/**
 * Every entry of a Docker volume, read by root in a throwaway container: path, type, owner, mode,
 * modification time (nanoseconds), link target, size and sha256. The volume's own top entry included.
 */
export async function volumeFingerprint(volume: string): Promise<string[]> {
  const script = [
    "cd /v",
    // %P path, %y type, %U:%G numeric owner, %m mode (octal, setuid/setgid/sticky included), %T@ mtime, %l link target, %s size
    "find . -printf '%P|%y|%U:%G|%m|%T@|%l|%s|' -exec sh -c 'if [ -f \"$1\" ] && [ ! -L \"$1\" ]; then sha256sum < \"$1\" | cut -c1-64; else echo -; fi' _ {} \\;",
  ].join("; ");
  const result = await execa("docker", ["run", "--rm", "--network", "none", "-v", `${volume}:/v:ro`, DEBIAN_BASE, "sh", "-c", script]);
  return result.stdout.split("\n").filter(Boolean).sort();
}
