#!/usr/bin/env bash
# Entrypoint for backup-agent-test/postgres:<major>, modelled on the official
# postgres image's docker-entrypoint.sh:
#   - on an empty $PGDATA: initdb as user postgres (POSTGRES_USER, default
#     postgres; POSTGRES_PASSWORD via a temporary --pwfile, never on argv),
#     create POSTGRES_DB (default POSTGRES_USER) unless it is 'postgres', run
#     /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz, then open TCP
#     (listen_addresses='*', `host all all all scram-sha-256`);
#   - finally exec postgres as user postgres, so postgres is PID 1 and gets
#     docker's stop signal (SIGINT) directly.
# Local (unix socket) connections are trusted, so
# `docker exec <c> psql -U <user> -d <db>` and `docker exec <c> pg_dump ...` work.
set -Eeuo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# VAR or VAR_FILE (like the official image), e.g. POSTGRES_PASSWORD_FILE.
file_env() {
	local var=$1 def=${2:-} fvar="${1}_FILE"
	local val=$def
	if [ -n "${!var:-}" ] && [ -n "${!fvar:-}" ]; then
		die "both $var and $fvar are set (but are exclusive)"
	fi
	if [ -n "${!var:-}" ]; then
		val=${!var}
	elif [ -n "${!fvar:-}" ]; then
		val=$(<"${!fvar}")
	fi
	export "$var"="$val"
	unset "$fvar"
}

# Run a command as user postgres when we are root (postgres refuses to run as
# root). util-linux's setpriv and runuser are both in a minbase rootfs (util-linux
# is Essential); su would need a login shell for user postgres.
as_postgres() {
	if [ "$(id -u)" != 0 ]; then
		"$@"
	elif command -v setpriv >/dev/null 2>&1; then
		setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
	elif command -v runuser >/dev/null 2>&1; then
		runuser -u postgres -- "$@"
	else
		die "neither setpriv nor runuser found: cannot drop privileges to postgres"
	fi
}

# Any argument starting with '-' means "postgres with these options".
if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

if [ "$1" != postgres ]; then
	exec "$@"
fi

: "${PGDATA:?PGDATA must be set}"
file_env POSTGRES_USER postgres
file_env POSTGRES_PASSWORD
file_env POSTGRES_DB "$POSTGRES_USER"
file_env POSTGRES_INITDB_ARGS
POSTGRES_HOST_AUTH_METHOD=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}

if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chmod 0700 "$PGDATA"
	chmod 2775 /var/run/postgresql
	# A fresh volume or bind mount may belong to someone else.
	find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
fi

init_database() {
	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		die "database is uninitialized and POSTGRES_PASSWORD is empty; set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust)"
	fi

	local pwfile='' sockdir=''
	# shellcheck disable=SC2317  # invoked via trap
	cleanup_init() { [ -z "$pwfile" ] || rm -f "$pwfile"; [ -z "$sockdir" ] || rm -rf "$sockdir"; }
	trap cleanup_init EXIT

	local -a initdb_args=(--username="$POSTGRES_USER" --auth-host="$POSTGRES_HOST_AUTH_METHOD" --auth-local=trust)
	if [ -n "$POSTGRES_PASSWORD" ]; then
		pwfile=$(mktemp /tmp/pgpw.XXXXXX)   # mode 0600
		[ "$(id -u)" != 0 ] || chown postgres:postgres "$pwfile"
		printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"   # builtin: not on any argv
		initdb_args+=(--pwfile="$pwfile")
	fi
	log "initdb in $PGDATA (user $POSTGRES_USER)"
	# shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is word-split on purpose, like upstream
	as_postgres initdb -D "$PGDATA" "${initdb_args[@]}" $POSTGRES_INITDB_ARGS
	rm -f "$pwfile"; pwfile=''

	# Temporary server: no TCP, and its socket in a private directory so that
	# `pg_isready` (default socket /var/run/postgresql) only succeeds once the
	# real server is up.
	sockdir=$(mktemp -d /tmp/pginit.XXXXXX)
	[ "$(id -u)" != 0 ] || chown postgres:postgres "$sockdir"
	as_postgres pg_ctl -D "$PGDATA" -w -t 60 \
		-o "-c listen_addresses='' -c unix_socket_directories=$sockdir -p 5432" start

	local -a psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password -h "$sockdir" -p 5432 --username "$POSTGRES_USER")
	if [ "$POSTGRES_DB" != postgres ]; then
		log "creating database $POSTGRES_DB"
		"${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<-'EOSQL'
			CREATE DATABASE :"db" ;
		EOSQL
	fi

	local f
	export PGHOST=$sockdir PGPORT=5432   # for init scripts' psql/pg_* calls
	for f in /docker-entrypoint-initdb.d/*; do
		[ -e "$f" ] || continue
		case "$f" in
			*.sh)
				# shellcheck disable=SC1090
				if [ -x "$f" ]; then log "running $f"; "$f"
				else log "sourcing $f"; . "$f"; fi ;;
			*.sql) log "running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
			*.sql.gz) log "running $f"; gzip -dc "$f" | "${psql[@]}" --dbname "$POSTGRES_DB" ;;
			*) log "ignoring $f" ;;
		esac
	done

	unset PGHOST PGPORT
	as_postgres pg_ctl -D "$PGDATA" -m fast -w stop

	printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
	printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

	cleanup_init
	trap - EXIT
	log "init done; ready for start up"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	init_database
fi

if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null 2>&1; then
		exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
	elif command -v runuser >/dev/null 2>&1; then
		exec runuser -u postgres -- "$@"
	fi
	die "neither setpriv nor runuser found: cannot drop privileges to postgres"
fi
exec "$@"
