// Bad environments: each is refused (exit 78) naming the variable, the value as shown and what was
// expected, or accepted with a warning where accepting is right; no secret of a case is ever printed.
// A table, so longer than most files.
import type { BadInput } from "./bad-input.js";

/** Refused, naming `variable`, showing `shown`, saying `expected`. */
const refused = (what: string, env: BadInput["env"], variable: string, shown: string, expected: string | RegExp, secrets?: string[]): BadInput => ({
  what,
  env,
  exit: 78,
  says: [`  - ${variable}: `, shown, expected],
  secrets,
});

const TIMER_MAX = "expected at most 2147483647ms (about 24.8 days, the longest timer Node.js can set)";
const DURATION = 'expected a duration such as "90s", "5m", "6h" or "1d"';

const durations: BadInput[] = [
  ...["BACKUP_JOB_TIMEOUT", "BACKUP_POSTGRES_TIMEOUT", "BACKUP_BACKUP_TIMEOUT", "BACKUP_OFFSITE_TIMEOUT", "BACKUP_VERIFY_TIMEOUT", "BACKUP_CHECK_TIMEOUT", "BACKUP_SHUTDOWN_GRACE", "BACKUP_HOOK_TIMEOUT", "BACKUP_MEILI_TIMEOUT", "BACKUP_MEILI_POLL_INTERVAL"].map((v) =>
    refused(`${v} past Node's timer limit`, { [v]: "25d" }, v, '"25d"', TIMER_MAX),
  ),
  refused("a timeout of 999 days", { BACKUP_JOB_TIMEOUT: "999d" }, "BACKUP_JOB_TIMEOUT", '"999d"', TIMER_MAX),
  refused("a duration below a millisecond", { BACKUP_JOB_TIMEOUT: "0.4ms" }, "BACKUP_JOB_TIMEOUT", '"0.4ms"', "expected at least 1ms"),
  refused("a fraction of a millisecond", { BACKUP_HOOK_TIMEOUT: "1.5ms" }, "BACKUP_HOOK_TIMEOUT", '"1.5ms"', "expected whole milliseconds"),
  refused("a zero grace period", { BACKUP_SHUTDOWN_GRACE: "0s" }, "BACKUP_SHUTDOWN_GRACE", '"0s"', "expected a duration above zero"),
  refused("a duration without a unit", { BACKUP_SHUTDOWN_GRACE: "30" }, "BACKUP_SHUTDOWN_GRACE", '"30"', DURATION),
  refused("a negative duration", { BACKUP_MEILI_TIMEOUT: "-5m" }, "BACKUP_MEILI_TIMEOUT", '"-5m"', DURATION),
  refused("a duration with a space", { BACKUP_MEILI_POLL_INTERVAL: "5 s" }, "BACKUP_MEILI_POLL_INTERVAL", '"5 s"', DURATION),
  refused("a duration in words", { BACKUP_CHECK_TIMEOUT: "soon" }, "BACKUP_CHECK_TIMEOUT", '"soon"', DURATION),
  refused("a compound duration", { BACKUP_VERIFY_TIMEOUT: "1h30m" }, "BACKUP_VERIFY_TIMEOUT", '"1h30m"', DURATION),
  refused("a ping timeout above an hour", { BACKUP_HC_TIMEOUT: "2h" }, "BACKUP_HC_TIMEOUT", '"2h"', "expected at most 1h"),
  refused("a status threshold above a year", { BACKUP_STATUS_VERIFY_MAX_AGE: "400d" }, "BACKUP_STATUS_VERIFY_MAX_AGE", '"400d"', "expected at most 366d"),
  refused("a status threshold of zero", { BACKUP_STATUS_OFFSITE_MAX_LAG: "0h" }, "BACKUP_STATUS_OFFSITE_MAX_LAG", '"0h"', "expected a duration above zero"),
  refused("a WARNING threshold above the CRITICAL one", { BACKUP_STATUS_WARN_AFTER: "50h", BACKUP_STATUS_CRITICAL_AFTER: "25h" }, "BACKUP_STATUS_WARN_AFTER", '"50h"', "expected less than BACKUP_STATUS_CRITICAL_AFTER (25h)"),
  refused("a WARNING threshold equal to the CRITICAL one", { BACKUP_STATUS_WARN_AFTER: "2d", BACKUP_STATUS_CRITICAL_AFTER: "48h" }, "BACKUP_STATUS_WARN_AFTER", '"2d"', "expected less than BACKUP_STATUS_CRITICAL_AFTER (2d)"),
];

const S = (n: number) => `Zq7-leak-check-${n}-secret`;

const secrets: BadInput[] = [
  refused("a misspelt offsite password variable", { BACKUP_OFFSITE_PASWORD: S(1) }, "BACKUP_OFFSITE_PASWORD", `<redacted, ${S(1).length} characters>`, "did you mean BACKUP_OFFSITE_PASSWORD?", [S(1)]),
  refused("a misspelt check URL variable", { BACKUP_HC_BAKUP_URL: `https://hc-ping.com/${S(2)}` }, "BACKUP_HC_BAKUP_URL", "<redacted, ", "did you mean BACKUP_HC_BACKUP_URL?", [S(2)]),
  refused("a misspelt Meilisearch key variable", { BACKUP_MEILI_APIKEY: S(3) }, "BACKUP_MEILI_APIKEY", "<redacted, ", "did you mean BACKUP_MEILI_API_KEY?", [S(3)]),
  refused("a misspelt ping key variable", { BACKUP_HC_PINGKEY: S(4) }, "BACKUP_HC_PINGKEY", "<redacted, ", "did you mean BACKUP_HC_PING_KEY?", [S(4)]),
  refused("an unknown password variable", { BACKUP_DB_PASSWD: S(5) }, "BACKUP_DB_PASSWD", "<redacted, ", "not a variable backup-agent knows", [S(5)]),
  refused("an unknown token variable", { BACKUP_API_TOKEN: S(6) }, "BACKUP_API_TOKEN", "<redacted, ", "not a variable backup-agent knows", [S(6)]),
  refused("an unknown, misspelt secret variable", { BACKUP_SECERT: S(7) }, "BACKUP_SECERT", "<redacted, ", "not a variable backup-agent knows", [S(7)]),
  refused("a misspelt _FILE of a secret", { BACKUP_OFFSITE_PASWORD_FILE: `/run/${S(8)}` }, "BACKUP_OFFSITE_PASWORD_FILE", "<redacted, ", "did you mean BACKUP_OFFSITE_PASSWORD_FILE?", [S(8)]),
  refused("an unknown variable holding a URL with credentials", { BACKUP_OFFSITE_REPO: `rest:https://backup:${S(9)}@host/repo` }, "BACKUP_OFFSITE_REPO", '"rest:https://backup:[redacted]@host/repo"', "not a variable backup-agent knows", [S(9)]),
  refused("a repository URL with credentials and a newline", { RESTIC_REPOSITORY: `rest:https://backup:${S(10)}@host/repo\n` }, "RESTIC_REPOSITORY", '"rest:https://backup:[redacted]@host/repo\\n"', "must not contain control characters", [S(10)]),
  refused("a repository URL with an empty user's password and a tab", { RESTIC_REPOSITORY: `rest:https://:${S(11)}@host/\t` }, "RESTIC_REPOSITORY", '"rest:https://:[redacted]@host/\\t"', "must not contain control characters", [S(11)]),
  refused("a repository URL whose password holds a slash, and a trailing space", { RESTIC_REPOSITORY: `rest:https://u:ab/${S(12)}@host/ ` }, "RESTIC_REPOSITORY", '"rest:https://u:[redacted]@host/ "', "must not start or end with whitespace", [S(12), `ab/${S(12)}`]),
  refused("an offsite repository with credentials and a newline", { BACKUP_OFFSITE_REPOSITORY: `rest:https://o:${S(13)}@offsite/\n`, BACKUP_OFFSITE_PASSWORD: S(14) }, "BACKUP_OFFSITE_REPOSITORY", '"rest:https://o:[redacted]@offsite/\\n"', "must not contain control characters", [S(13), S(14)]),
  refused("a repository with credentials set both as X and X_FILE", { RESTIC_REPOSITORY: `rest:https://u:${S(15)}@h/`, RESTIC_REPOSITORY_FILE: "{dir}/repo" }, "RESTIC_REPOSITORY", '"rest:https://u:[redacted]@h/"', "set either RESTIC_REPOSITORY or RESTIC_REPOSITORY_FILE, not both", [S(15)]),
  { ...refused("a repository file with credentials and a tab inside", { RESTIC_REPOSITORY: undefined, RESTIC_REPOSITORY_FILE: "{dir}/repo" }, "RESTIC_REPOSITORY", '"rest:https://u:[redacted]@h/\\tx"', /must not contain control characters.*\(read from ".*\/repo"\)/, [S(16)]), files: { repo: `rest:https://u:${S(16)}@h/\tx\n` } },
  refused("a password set both as X and X_FILE", { RESTIC_PASSWORD_FILE: "{dir}/pw" }, "RESTIC_PASSWORD", "<redacted, ", "set either RESTIC_PASSWORD or RESTIC_PASSWORD_FILE, not both"),
  refused("a check URL that is not http", { BACKUP_HC_CHECK_URL: `hc-ping.com/${S(17)}` }, "BACKUP_HC_CHECK_URL", "<redacted, ", "expected an http:// or https:// URL", [S(17)]),
  refused("an empty ping key", { BACKUP_HC_PING_KEY: "" }, "BACKUP_HC_PING_KEY", "<redacted, 0 characters>", "must not be empty"),
  refused("an empty repository password", { RESTIC_PASSWORD: "" }, "RESTIC_PASSWORD", "<redacted, 0 characters>", "must not be empty"),
  refused("an offsite password without an offsite repository", { BACKUP_OFFSITE_PASSWORD: S(18) }, "BACKUP_OFFSITE_REPOSITORY and BACKUP_OFFSITE_PASSWORD", "set both", "or neither", [S(18)]),
];

/** Accepted (exit 0), and check-config shows no secret anywhere. */
const accepted = (what: string, env: BadInput["env"], says: (string | RegExp)[], secrets: string[], files?: BadInput["files"]): BadInput => ({ what, env, exit: 0, says, secrets, files });

const shown: BadInput[] = [
  accepted("a repository URL with credentials", { RESTIC_REPOSITORY: `rest:https://backup:${S(20)}@host/repo` }, ['"repository": "rest:https://backup:[redacted]@host/repo"'], [S(20)]),
  accepted("a repository URL with an empty user's password", { RESTIC_REPOSITORY: `rest:https://:${S(21)}@host/` }, ['"repository": "rest:https://:[redacted]@host/"'], [S(21)]),
  accepted("a repository URL whose password holds a slash", { RESTIC_REPOSITORY: `s3:https://key:ab/${S(22)}@s3.example/bucket` }, ['"repository": "s3:https://key:[redacted]@s3.example/bucket"'], [S(22), `ab/${S(22)}`]),
  accepted("a repository URL whose password holds an @", { RESTIC_REPOSITORY: `rest:https://u:p@${S(23)}@host/` }, ['"repository": "rest:https://u:[redacted]@host/"'], [S(23)]),
  accepted("an offsite repository with credentials and its password", { BACKUP_OFFSITE_REPOSITORY: `rest:https://o:${S(24)}@offsite/repo`, BACKUP_OFFSITE_PASSWORD: S(25) }, ['"repository": "rest:https://o:[redacted]@offsite/repo"'], [S(24), S(25)]),
  accepted("a password read from a file", { RESTIC_PASSWORD: undefined, RESTIC_PASSWORD_FILE: "{dir}/pw" }, [new RegExp(`"RESTIC_PASSWORD": \\{\\s+"value": "<redacted, ${S(26).length} characters>",\\s+"from": "file /`)], [S(26)], { pw: `${S(26)} \n` }),
  accepted("check URLs, a ping key and a Meilisearch key", { BACKUP_HC_VERIFY_URL: `https://hc-ping.com/${S(27)}`, BACKUP_HC_PING_KEY: S(28), BACKUP_MEILI_API_KEY: S(29) }, ['"healthcheck": "[redacted]"'], [S(27), S(28), S(29)]),
  accepted("a secret-looking variable restic does not get", { RESTIC_PASSWORD_COMMAND: `echo ${S(30)}` }, ["warning: RESTIC_PASSWORD_COMMAND is ignored"], [S(30)]),
];

const SUBSET = 'expected "n/t" (e.g. "1/7"), a percentage above 0 and at most 100';
const subsets: BadInput[] = ["banana", "150%", "0%", "0/7", "8/7", "1/257", "500", "0M", "-5M", "5 %"].map((v) =>
  refused(`a check subset restic refuses: ${v}`, { BACKUP_CHECK_SUBSET: v }, "BACKUP_CHECK_SUBSET", JSON.stringify(v), SUBSET),
);

const paths: BadInput[] = [
  refused("a repository path with a trailing space", { RESTIC_REPOSITORY: "/srv/restic " }, "RESTIC_REPOSITORY", '"/srv/restic "', "must not start or end with whitespace"),
  refused("a repository path with a leading space", { RESTIC_REPOSITORY: " /srv/restic" }, "RESTIC_REPOSITORY", '" /srv/restic"', "must not start or end with whitespace"),
  refused("a relative volume root", { BACKUP_VOLUMES_ROOT: "volumes" }, "BACKUP_VOLUMES_ROOT", '"volumes"', "expected an absolute path"),
  refused("a volume root with a trailing newline", { BACKUP_VOLUMES_ROOT: "/volumes\n" }, "BACKUP_VOLUMES_ROOT", '"/volumes\\n"', "must not contain control characters"),
  refused("a missing restic binary", { RESTIC_BINARY: "/nonexistent/restic" }, "RESTIC_BINARY", '"/nonexistent/restic"', "which does not exist (ENOENT)"),
  refused("a restic binary not on PATH", { RESTIC_BINARY: "restic-0.18-nope" }, "RESTIC_BINARY", '"restic-0.18-nope"', "which is not found on PATH"),
  { ...refused("a restic binary that is not executable", { RESTIC_BINARY: "{dir}/restic" }, "RESTIC_BINARY", "/restic\"", "which is not executable (EACCES)"), files: { restic: { data: "#!/bin/sh\n", mode: 0o644 } } },
  refused("a restic binary that is a directory", { RESTIC_BINARY: "/tmp" }, "RESTIC_BINARY", '"/tmp"', "which is not a file"),
  refused("a password file path with a trailing space", { RESTIC_PASSWORD: undefined, RESTIC_PASSWORD_FILE: "/run/secrets/pw " }, "RESTIC_PASSWORD_FILE", '"/run/secrets/pw "', "expected the path of a file, with no control characters or whitespace at either end"),
  refused("a missing password file", { RESTIC_PASSWORD: undefined, RESTIC_PASSWORD_FILE: "/nonexistent/pw" }, "RESTIC_PASSWORD_FILE", '"/nonexistent/pw"', "cannot read the file"),
  refused("a password file that is a directory", { RESTIC_PASSWORD: undefined, RESTIC_PASSWORD_FILE: "/tmp" }, "RESTIC_PASSWORD_FILE", '"/tmp"', "(EISDIR)"),
  { ...refused("an empty password file", { RESTIC_PASSWORD: undefined, RESTIC_PASSWORD_FILE: "{dir}/pw" }, "RESTIC_PASSWORD_FILE", '/pw" is empty', "expected it to hold RESTIC_PASSWORD"), files: { pw: "" } },
  { ...refused("a password file of whitespace only", { RESTIC_PASSWORD: undefined, RESTIC_PASSWORD_FILE: "{dir}/pw" }, "RESTIC_PASSWORD_FILE", '/pw" is empty', "(or only whitespace)"), files: { pw: " \t\r\n" } },
  { ...refused("a password file that is not UTF-8", { RESTIC_PASSWORD: undefined, RESTIC_PASSWORD_FILE: "{dir}/pw" }, "RESTIC_PASSWORD_FILE", '/pw"', "is not UTF-8 text"), files: { pw: Buffer.from([0x70, 0xe9, 0x0a]) } },
  { ...refused("an empty repository file", { RESTIC_REPOSITORY: undefined, RESTIC_REPOSITORY_FILE: "{dir}/repo" }, "RESTIC_REPOSITORY_FILE", '/repo" is empty', "expected it to hold RESTIC_REPOSITORY"), files: { repo: "\n" } },
  refused("a missing schedule file", { BACKUP_CRONTAB: "/nonexistent/crontab" }, "BACKUP_CRONTAB", '"/nonexistent/crontab"', "cannot read the schedule file (ENOENT)"),
  refused("a schedule path with a trailing space", { BACKUP_CRONTAB: "/etc/crontab " }, "BACKUP_CRONTAB", '"/etc/crontab "', "must not start or end with whitespace"),
  refused("a volume name that could leave the root", { BACKUP_VOLUMES: "data,../etc" }, "BACKUP_VOLUMES", '"../etc"', "expected Docker volume names"),
  refused("an offsite repository equal to the local one", { BACKUP_OFFSITE_REPOSITORY: "/srv/e2e-bad-input/repo/", BACKUP_OFFSITE_PASSWORD: "x-offsite" }, "BACKUP_OFFSITE_REPOSITORY", "got the same repository", "expected a repository other than RESTIC_REPOSITORY"),
  refused("an offsite repository equal to the local one, written local:", { BACKUP_OFFSITE_REPOSITORY: "local:/srv/e2e-bad-input/repo", BACKUP_OFFSITE_PASSWORD: "x-offsite" }, "BACKUP_OFFSITE_REPOSITORY", "got the same repository", "an offsite copy onto itself protects nothing"),
  refused("a project name with a trailing space", { BACKUP_COMPOSE_PROJECT: "shop " }, "BACKUP_COMPOSE_PROJECT", '"shop "', "must not start or end with whitespace"),
  refused("a host name with a newline", { BACKUP_HOST: "agent\n" }, "BACKUP_HOST", '"agent\\n"', "must not contain control characters"),
];

const LISTEN = 'expected "host:port" (e.g. "0.0.0.0:9180"), ":port" or "off"';
const listen: BadInput[] = [
  ...[":10080", ":6000", "0.0.0.0:5060", "127.0.0.1:1"].map((v) => refused(`a listen port fetch refuses: ${v}`, { BACKUP_HTTP_LISTEN: v }, "BACKUP_HTTP_LISTEN", JSON.stringify(v), "fetch() refuses port")),
  refused("listen port 0", { BACKUP_HTTP_LISTEN: ":0" }, "BACKUP_HTTP_LISTEN", '":0"', "expected a port from 1 to 65535"),
  refused("a listen port out of range", { BACKUP_HTTP_LISTEN: ":70000" }, "BACKUP_HTTP_LISTEN", '":70000"', "expected a port from 1 to 65535"),
  refused("a listen address without a port", { BACKUP_HTTP_LISTEN: "localhost" }, "BACKUP_HTTP_LISTEN", '"localhost"', LISTEN),
  { ...refused("healthcheck on a port fetch refuses", { BACKUP_HTTP_LISTEN: ":6000" }, "BACKUP_HTTP_LISTEN", '":6000"', "fetch() refuses port 6000"), args: ["healthcheck"] },
  { ...refused("healthcheck on a listen address that is not one", { BACKUP_HTTP_LISTEN: "nonsense" }, "BACKUP_HTTP_LISTEN", '"nonsense"', LISTEN), args: ["healthcheck"] },
];

const TZ = 'expected an IANA time zone such as "UTC" or "Europe/Berlin"';
const zones: BadInput[] = [
  refused("an unknown TZ, blamed on TZ", { TZ: "Mars/Olympus" }, "TZ", '"Mars/Olympus"', TZ),
  refused("a POSIX TZ rule Intl cannot use", { TZ: "JST-9" }, "TZ", '"JST-9"', "set BACKUP_TIMEZONE to override it"),
  refused("a TZ file that is no zoneinfo file", { TZ: ":/etc/hostname" }, "TZ", '":/etc/hostname"', "a zoneinfo file such as"),
  refused("an unknown BACKUP_TIMEZONE", { BACKUP_TIMEZONE: "Europe/Atlantis" }, "BACKUP_TIMEZONE", '"Europe/Atlantis"', TZ),
  accepted("TZ as the C library takes it, :/etc/localtime", { TZ: ":/etc/localtime" }, [/"BACKUP_TIMEZONE": \{\s+"value": "[A-Za-z]+[^"]*",\s+"from": "TZ"/], []),
  accepted("TZ as :name", { TZ: ":Europe/Berlin" }, ['"timezone": "Europe/Berlin"'], []),
];

const EXPECTED = "expected kind/name with a kind of postgres, meilisearch, exec, volume";
const expected: BadInput[] = [
  refused("an expected target of an unknown kind", { BACKUP_EXPECTED_TARGETS: "postgress/db" }, "BACKUP_EXPECTED_TARGETS", '"postgress/db"', 'did you mean "postgres/db"?'),
  refused("an expected target without a kind", { BACKUP_EXPECTED_TARGETS: "db" }, "BACKUP_EXPECTED_TARGETS", '"db"', "the kind is missing"),
  refused("an expected target with an abbreviated kind", { BACKUP_EXPECTED_TARGETS: "meili/search" }, "BACKUP_EXPECTED_TARGETS", '"meili/search"', EXPECTED),
  refused("an expected target without a name", { BACKUP_EXPECTED_TARGETS: "postgres/" }, "BACKUP_EXPECTED_TARGETS", '"postgres/"', "the name a Compose service or volume name"),
  refused("an expected volume with a space in its name", { BACKUP_EXPECTED_TARGETS: "volume/my data" }, "BACKUP_EXPECTED_TARGETS", '"volume/my data"', "the name a Compose service or volume name"),
  refused("an expected target named twice", { BACKUP_EXPECTED_TARGETS: "exec/cache, exec/cache" }, "BACKUP_EXPECTED_TARGETS", '"exec/cache" twice', "expected each target once"),
  accepted("expected targets of every kind, shown", { BACKUP_EXPECTED_TARGETS: "postgres/db, meilisearch/search, exec/cache, volume/data" }, [/"expected": \[\s+"postgres\/db",\s+"meilisearch\/search",\s+"exec\/cache",\s+"volume\/data"\s+\]/], []),
];

const values: BadInput[] = [
  refused("a switch that is neither true nor false", { BACKUP_HC_CREATE: "maybe" }, "BACKUP_HC_CREATE", '"maybe"', "expected true or false"),
  refused("a concurrency of zero", { BACKUP_CONCURRENCY: "0" }, "BACKUP_CONCURRENCY", '"0"', "expected a whole number from 1 to 16"),
  refused("a concurrency above the limit", { BACKUP_CONCURRENCY: "17" }, "BACKUP_CONCURRENCY", '"17"', "expected a whole number from 1 to 16"),
  refused("a fractional concurrency", { BACKUP_CONCURRENCY: "2.5" }, "BACKUP_CONCURRENCY", '"2.5"', "expected a whole number"),
  refused("a negative retry count", { BACKUP_HC_RETRIES: "-1" }, "BACKUP_HC_RETRIES", '"-1"', "expected a whole number from 0 to 10"),
  refused("an unknown log level", { BACKUP_LOG_LEVEL: "verbose" }, "BACKUP_LOG_LEVEL", '"verbose"', "expected one of trace, debug, info, warn, error, fatal"),
  refused("an unknown log format", { BACKUP_LOG_FORMAT: "xml" }, "BACKUP_LOG_FORMAT", '"xml"', "expected one of auto, json, pretty"),
  refused("a retention count of zero", { BACKUP_KEEP_DAILY: "0" }, "BACKUP_KEEP_DAILY", '"0"', "expected a whole number from 1 to 100000"),
  refused("a retention count in words", { BACKUP_KEEP_WEEKLY: "seven" }, "BACKUP_KEEP_WEEKLY", '"seven"', "expected a whole number"),
  refused("a keep-within restic cannot read", { BACKUP_KEEP_WITHIN: "14days" }, "BACKUP_KEEP_WITHIN", '"14days"', "expected a restic duration of y, m, d, h"),
  refused("a negative offsite retention count", { BACKUP_OFFSITE_KEEP_LAST: "-3" }, "BACKUP_OFFSITE_KEEP_LAST", '"-3"', "expected a whole number"),
  refused("a ping base that is not http", { BACKUP_HC_BASE_URL: "ftp://hc.example/ping" }, "BACKUP_HC_BASE_URL", '"ftp://hc.example/ping"', "expected an http:// or https:// URL"),
  refused("a misspelt variable, with the one probably meant", { BACKUP_TIMEZOME: "UTC" }, "BACKUP_TIMEZOME", '"UTC"', "did you mean BACKUP_TIMEZONE?"),
  refused("a misspelt retention variable, its harmless value shown", { BACKUP_KEEP_DAYLY: "7" }, "BACKUP_KEEP_DAYLY", '"7"', "did you mean BACKUP_KEEP_DAILY?"),
  { what: "several problems, listed at once", env: { BACKUP_LOG_FORMAT: "xml", BACKUP_JOB_TIMEOUT: "25d", BACKUP_CHECK_SUBSET: "banana", TZ: "Nowhere/Land" }, exit: 78, says: ["(4 problems)", "  - BACKUP_LOG_FORMAT: ", "  - BACKUP_JOB_TIMEOUT: ", "  - BACKUP_CHECK_SUBSET: ", "  - TZ: "] },
];

/** Accepted, but each named in a warning on stderr. */
const warned = (what: string, env: BadInput["env"], warning: string): BadInput => ({ what, env, exit: 0, says: [`backup-agent: warning: ${warning}`] });
const warnings: BadInput[] = [
  warned("creating checks without a ping key", { BACKUP_HC_CREATE: "true" }, "BACKUP_HC_CREATE does nothing without BACKUP_HC_PING_KEY"),
  warned("a check slug without a ping key", { BACKUP_HC_BACKUP_SLUG: "nightly" }, "BACKUP_HC_BACKUP_SLUG does nothing without BACKUP_HC_PING_KEY"),
  warned("a ping base without a ping key", { BACKUP_HC_BASE_URL: "https://hc.example.com/ping/" }, "BACKUP_HC_BASE_URL does nothing without BACKUP_HC_PING_KEY"),
  warned("a check slug beside the job's check URL", { BACKUP_HC_PING_KEY: "pk-warned-1", BACKUP_HC_CHECK_URL: "https://hc-ping.com/warned-uuid", BACKUP_HC_CHECK_SLUG: "c" }, "BACKUP_HC_CHECK_SLUG does nothing: BACKUP_HC_CHECK_URL names the check"),
  warned("offsite retention without an offsite repository", { BACKUP_OFFSITE_KEEP_DAILY: "7", BACKUP_OFFSITE_KEEP_LAST: "3" }, "BACKUP_OFFSITE_KEEP_LAST, BACKUP_OFFSITE_KEEP_DAILY do nothing without BACKUP_OFFSITE_REPOSITORY"),
  warned("a lower-case variable name", { backup_keep_daily: "7" }, "backup_keep_daily is ignored: variable names are upper case (BACKUP_KEEP_DAILY)"),
  warned("a mixed-case restic variable", { Restic_Password: "mixed-case-value" }, "Restic_Password is ignored: variable names are upper case (RESTIC_PASSWORD)"),
  warned("a restic variable the agent does not pass on", { RESTIC_HOST: "elsewhere" }, "RESTIC_HOST is ignored: backup-agent passes only RESTIC_CACHE_DIR"),
  warned("a schedule that prunes without a policy", {}, 'the schedule runs "backup --prune" (line 3) but no BACKUP_KEEP_* is set'),
  warned("a schedule that copies offsite without an offsite repository", {}, 'the schedule runs "offsite" (line 4) but BACKUP_OFFSITE_REPOSITORY is not set'),
];

export const ENV_CASES: Record<string, BadInput[]> = { durations, secrets, shown, subsets, paths, listen, zones, expected, values, warnings };
