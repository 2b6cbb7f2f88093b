#!/usr/bin/env bash
# `npm run demo`: the agent's main job on an embedded default, on this machine, from a fresh clone.
# Brings up what it needs (bench, dependencies, build), then runs against a local repository in .demo/
# with a generated password file. Running it twice is harmless; `npm run demo -- --down` removes .demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
demo="$PWD/.demo"

if [ "${1:-}" = "--down" ]; then
  rm -rf "$demo"
  echo "demo: removed $demo"
  exit 0
fi

if ! restic version 2>/dev/null | grep -qE 'restic 0\.(1[89]|[2-9][0-9])'; then
  echo "demo: restic 0.18+ missing: running the bench set-up (needs root)"
  bash test/bench/setup.sh
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/main.js ] && [ -z "$(find src -newer dist/main.js -name '*.ts' | head -1)" ] || npm run build

mkdir -p "$demo"
[ -f "$demo/password" ] || head -c 32 /dev/urandom | base64 > "$demo/password"
chmod 600 "$demo/password"
export RESTIC_REPOSITORY="$demo/repository" RESTIC_PASSWORD_FILE="$demo/password" BACKUP_LOG_FORMAT="${BACKUP_LOG_FORMAT:-pretty}"

node dist/main.js check-config >/dev/null
node dist/main.js run check
echo
echo "demo: repository $RESTIC_REPOSITORY (password in $RESTIC_PASSWORD_FILE)"
echo "demo: RESTIC_REPOSITORY=$RESTIC_REPOSITORY RESTIC_PASSWORD_FILE=$RESTIC_PASSWORD_FILE restic snapshots"
echo "demo: the daemon serves /metrics: RESTIC_REPOSITORY=... RESTIC_PASSWORD_FILE=... node dist/main.js daemon, then curl http://127.0.0.1:9180/metrics"
