#!/usr/bin/env bash
# `npm run demo`: the agent's main job on an embedded default, on this machine, from a fresh clone.
# Sets up what it needs (the bench: Docker Engine, restic, local images; dependencies; the build),
# starts a small labelled PostgreSQL container, and runs `backup` with the embedded defaults into a
# local repository in .demo/ with a generated password file. Running it twice is harmless;
# `npm run demo -- --down` removes the container, its volume and .demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
demo="$PWD/.demo"
project=backup-agent-demo
db=backup-agent-demo-db

if [ "${1:-}" = "--down" ]; then
  docker rm -f -v "$db" >/dev/null 2>&1 || true
  docker volume rm -f backup-agent-demo-pgdata >/dev/null 2>&1 || true
  rm -rf "$demo"
  echo "demo: removed $db, its volume and $demo"
  exit 0
fi

if ! restic version 2>/dev/null | grep -qE 'restic 0\.(1[89]|[2-9][0-9])' || ! docker info >/dev/null 2>&1 \
  || ! docker image inspect backup-agent-test/postgres:17 >/dev/null 2>&1; then
  echo "demo: setting up the bench (Docker Engine, restic 0.18, local images; needs root)"
  bash test/bench/setup.sh
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent

if ! docker container inspect "$db" >/dev/null 2>&1; then
  docker run -d --name "$db" -v backup-agent-demo-pgdata:/var/lib/postgresql/data \
    --label com.docker.compose.project="$project" --label com.docker.compose.service=db \
    --label backup-agent.postgres=true \
    -e POSTGRES_USER=demo -e POSTGRES_PASSWORD=demo-password -e POSTGRES_DB=shop \
    backup-agent-test/postgres:17 >/dev/null
fi
docker start "$db" >/dev/null
for _ in $(seq 1 120); do docker exec "$db" pg_isready -q -U demo && break; sleep 0.5; done
docker exec -i "$db" psql -q -U demo -d shop <<'SQL'
CREATE TABLE IF NOT EXISTS orders (id serial PRIMARY KEY, customer text, total numeric(10,2), at timestamptz DEFAULT now());
INSERT INTO orders (customer, total) SELECT 'customer ' || i, i * 1.25 FROM generate_series(1, 1000) i;
SQL

mkdir -p "$demo"
[ -f "$demo/password" ] || head -c 32 /dev/urandom | base64 > "$demo/password"
chmod 600 "$demo/password"
export RESTIC_REPOSITORY="$demo/repository" RESTIC_PASSWORD_FILE="$demo/password"
export BACKUP_COMPOSE_PROJECT="$project" BACKUP_LOG_FORMAT="${BACKUP_LOG_FORMAT:-pretty}"

node dist/main.js run check
node dist/main.js plan
node dist/main.js run backup
echo
RESTIC_PASSWORD_FILE="$demo/password" restic -r "$RESTIC_REPOSITORY" snapshots --tag backup-agent
echo
echo "demo: repository $RESTIC_REPOSITORY (password in $RESTIC_PASSWORD_FILE)"
echo "demo: run the daemon with the same environment to serve http://127.0.0.1:9180/metrics:"
echo "      RESTIC_REPOSITORY=$RESTIC_REPOSITORY RESTIC_PASSWORD_FILE=$RESTIC_PASSWORD_FILE BACKUP_COMPOSE_PROJECT=$project node dist/main.js daemon"
echo "demo: npm run demo -- --down removes everything the demo made"
