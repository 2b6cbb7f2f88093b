#!/usr/bin/env bash
# `npm run demo`: the example stack of compose/docker-compose.yml (PostgreSQL, Meilisearch, an app with
# a data volume) as the Compose project "backup-agent-demo", backed up by the agent run from this
# checkout (`node dist/main.js`, so its output is on the terminal): `run check` (creates the
# repository), `run backup --prune --check`, `run verify`, then `status`. Sets up what it needs on a
# fresh Debian machine as root (the bench: Docker Engine, restic 0.18, docker compose, local images;
# dependencies; the build). The repository and its generated password live in .demo/.
# Running it again is harmless (it adds a backup); `npm run demo -- --down` removes the project's
# containers, volumes and network, and .demo/.
# Exit code: that of `status` (0 GOOD, 1 WARNING, 2 CRITICAL), or the first step that failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo=$root/.demo
project=backup-agent-demo

say() { printf '\n\033[1mdemo: %s\033[0m\n' "$*"; }

# The example stack on this machine's local images (no registry here); override them to use others.
export POSTGRES_IMAGE=${POSTGRES_IMAGE:-backup-agent-test/postgres:17}
export MEILI_IMAGE=${MEILI_IMAGE:-backup-agent-test/meili-double:latest}
export APP_IMAGE=${APP_IMAGE:-backup-agent-test/debian:trixie}
# Only the agent service (not used by the demo) reads these; compose wants them to exist.
export AGENT_ENV_FILE=$demo/agent.env RESTIC_PASSWORD_HOST_FILE=$demo/password
compose() { docker compose -p "$project" -f "$root/compose/docker-compose.yml" "$@"; }

if [ "${1:-}" = "--down" ]; then
  if docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    mkdir -p "$demo" && touch "$demo/agent.env" "$demo/password"
    export MEILI_PUBLISH=127.0.0.1::7700
    compose --profile backup down --volumes --remove-orphans --timeout 10
    # Throwaway containers of a verify that was killed (the daemon reaps them; the demo may not run again).
    ids=$(docker ps -aq --filter "label=backup-agent.throwaway=true" --filter "label=com.docker.compose.project=$project")
    [ -z "$ids" ] || docker rm -f -v $ids >/dev/null
  fi
  rm -rf "$demo"
  echo "demo: removed the Compose project $project (containers, volumes, network) and $demo"
  exit 0
fi
[ $# -eq 0 ] || { echo "usage: npm run demo [-- --down]" >&2; exit 64; }

# --- the bench and the build ---------------------------------------------------------------------
bench_ready() {
  restic version 2>/dev/null | grep -qE 'restic (0\.(1[89]|[2-9][0-9])|[1-9])' &&
    docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1 &&
    docker image inspect backup-agent-test/postgres:17 backup-agent-test/debian:trixie \
      backup-agent-test/node:22 >/dev/null 2>&1
}
if ! bench_ready; then
  say "setting up the bench (Docker Engine, restic 0.18, docker compose, local images; needs root)"
  bash test/bench/setup.sh
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent

# The Meilisearch stand-in (no Meilisearch server can be installed here), cached by a content hash
# exactly as test/e2e/support/meili.ts does.
if [ "$MEILI_IMAGE" = backup-agent-test/meili-double:latest ]; then
  hash=$(cat test/fixtures/meili-double/Dockerfile test/fixtures/meili-double/server.mjs | sha256sum | cut -c1-16)
  have=$(docker image inspect -f '{{ index .Config.Labels "org.backup-agent.bench.hash" }}' "$MEILI_IMAGE" 2>/dev/null || true)
  if [ "$have" != "$hash" ]; then
    say "building $MEILI_IMAGE"
    DOCKER_BUILDKIT=0 docker build -q --label "org.backup-agent.bench.hash=$hash" -t "$MEILI_IMAGE" \
      test/fixtures/meili-double >/dev/null
  fi
fi

# --- .demo/: password, the agent's environment ---------------------------------------------------
mkdir -p "$demo/volumes"
chmod 700 "$demo"
[ -s "$demo/password" ] || head -c 32 /dev/urandom | base64 >"$demo/password"
chmod 600 "$demo/password"
touch "$demo/agent.env"
# The agent on the host reaches Meilisearch through a loopback port, chosen once.
if [ ! -s "$demo/meili-port" ]; then
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })' \
    >"$demo/meili-port"
fi
meili_port=$(cat "$demo/meili-port")
export MEILI_PUBLISH=127.0.0.1:$meili_port:7700 MEILI_BACKUP_URL=http://127.0.0.1:$meili_port

# --- the example stack -----------------------------------------------------------------------------
say "starting the example stack (Compose project $project)"
compose up -d --wait --wait-timeout 120 db meilisearch app

# In Compose the agent mounts volumes read-only under /volumes; on the host the demo points
# BACKUP_VOLUMES_ROOT at symlinks to the volumes' directories (root can read them).
mountpoint=$(docker volume inspect -f '{{ .Mountpoint }}' "${project}_appdata")
ln -sfn "$mountpoint" "$demo/volumes/appdata"

cat >"$demo/env" <<EOF
RESTIC_REPOSITORY=$demo/repository
RESTIC_PASSWORD_FILE=$demo/password
BACKUP_COMPOSE_PROJECT=$project
BACKUP_EXPECTED_TARGETS=postgres/db
BACKUP_VOLUMES_ROOT=$demo/volumes
BACKUP_KEEP_LAST=10
BACKUP_MEILI_POLL_INTERVAL=1s
BACKUP_KEEP_DAILY=7
BACKUP_HTTP_LISTEN=127.0.0.1:9180
EOF
set -a
# shellcheck disable=SC1091
. "$demo/env"
set +a
export BACKUP_LOG_FORMAT=${BACKUP_LOG_FORMAT:-pretty}
agent() { node "$root/dist/main.js" "$@"; }

say "backup-agent plan"
agent plan || say "plan found a problem: the backup below names it too"
say "backup-agent run check   (creates the repository the first time)"
agent run check
say "backup-agent run backup --prune --check"
agent run backup --prune --check
say "backup-agent run verify   (restores the newest dumps into throwaway containers, the volume into a temp dir, and compares)"
agent run verify

say "backup-agent status   (exit code 0 GOOD, 1 WARNING, 2 CRITICAL)"
set +e
agent status
code=$?
set -e

cat <<EOF

demo: repository $RESTIC_REPOSITORY (password in $RESTIC_PASSWORD_FILE); the whole environment is in $demo/env
demo: the schedule with the status page on http://127.0.0.1:9180/ and /metrics on http://127.0.0.1:9180/metrics:
        set -a; . $demo/env; set +a; node dist/main.js daemon
      or the agent as a container of the project (see the README, "Install with Docker Compose").
demo: npm run demo -- --down removes everything the demo made
EOF
exit "$code"
