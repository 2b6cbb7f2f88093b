# backup-agent as a container image. Multi-stage: npm and the dev dependencies never reach the runtime.
#
#   docker build -t backup-agent .
#   docker build --build-arg BASE_IMAGE=backup-agent-test/node:22 -t backup-agent .   # the test bench
#
# BASE_IMAGE must be a Debian trixie (or newer) image with Node.js >= 20.19 as `node` on PATH: restic
# 0.18+ comes from its apt archive. npm is used when the base has it (the official node images do);
# otherwise npm@NPM_VERSION is fetched from the npm registry with Node's own fetch and checked against
# the registry's sha512. Behind a TLS-intercepting proxy, pass its CA certificates (PEM text) as
# EXTRA_CA_CERTS; they are trusted by the build stages only, never by the runtime image.
# Works with the legacy builder (DOCKER_BUILDKIT=0) as well as BuildKit: no RUN --mount, no COPY --chmod.
ARG BASE_IMAGE=node:24-trixie-slim

# ---------------------------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS npm
ARG NPM_VERSION=10.9.3
ARG EXTRA_CA_CERTS=""
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/backup-agent-build-ca.pem \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
RUN set -eu; \
    printf '%s\n' "$EXTRA_CA_CERTS" > "$NODE_EXTRA_CA_CERTS"; \
    if ! command -v npm >/dev/null 2>&1; then \
      mkdir -p /usr/local/lib/node_modules/npm; \
      node -e ' \
        const [version, dest] = process.argv.slice(1); \
        const { createHash } = require("node:crypto"); \
        const { writeFileSync } = require("node:fs"); \
        (async () => { \
          const meta = await (await fetch(`https://registry.npmjs.org/npm/${version}`)).json(); \
          const tgz = Buffer.from(await (await fetch(meta.dist.tarball)).arrayBuffer()); \
          const got = "sha512-" + createHash("sha512").update(tgz).digest("base64"); \
          if (got !== meta.dist.integrity) throw new Error(`npm ${version}: integrity ${got} != ${meta.dist.integrity}`); \
          writeFileSync(dest, tgz); \
        })().catch((e) => { console.error("fetching npm failed:", e.cause ?? e); process.exit(1); });' \
        "$NPM_VERSION" /tmp/npm.tgz; \
      tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1; \
      rm /tmp/npm.tgz; \
      ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm; \
    fi; \
    npm --version
WORKDIR /app

# ---------------------------------------------------------------------------------------------------
# Production dependencies only: this layer changes when package*.json do, not with the source.
FROM npm AS prod-deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && rm -rf "$(npm config get cache)"

# ---------------------------------------------------------------------------------------------------
FROM npm AS build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---------------------------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS runtime
# The fixed uid/gid the agent runs as (see the README: socket proxy, or --group-add <docker.sock gid>).
ARG AGENT_UID=10001
ARG AGENT_GID=10001
ENV DEBIAN_FRONTEND=noninteractive
RUN set -eu; \
    apt-get update; \
    apt-get install -y --no-install-recommends restic ca-certificates; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb; \
    version=$(restic version | awk '$1 == "restic" { print $2 }'); \
    case "$version" in \
      0.1[89].*|0.[2-9][0-9].*|[1-9]*) ;; \
      *) echo "restic $version from this base's apt archive is too old: backup-agent needs 0.18+ (use a trixie base)" >&2; exit 1 ;; \
    esac; \
    groupadd --gid "$AGENT_GID" backup-agent; \
    useradd --uid "$AGENT_UID" --gid "$AGENT_GID" --home-dir /var/lib/backup-agent \
      --no-create-home --shell /usr/sbin/nologin backup-agent; \
    mkdir -p /var/lib/backup-agent /var/cache/backup-agent /repository; \
    chown "$AGENT_UID:$AGENT_GID" /var/lib/backup-agent /var/cache/backup-agent /repository

WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json crontab.example README.md ./

# /repository: where a local repository volume goes (a new named volume takes this owner);
# RESTIC_CACHE_DIR: restic's cache, worth a volume of its own on large repositories.
# BACKUP_HTTP_LISTEN: all interfaces of the container's own network namespace, so that the port can be
# published (the compose file publishes it on the host's 127.0.0.1 only) and a scraper on the project's
# network reaches it; outside a container the default is 127.0.0.1.
# MALLOC_ARENA_MAX: glibc gives each thread that allocates (libuv's and V8's workers) an arena of its
# own that keeps what it freed; two arenas keep the daemon at rest about 5 MB smaller.
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    HOME=/var/lib/backup-agent \
    RESTIC_CACHE_DIR=/var/cache/backup-agent \
    BACKUP_LOG_FORMAT=json \
    BACKUP_HTTP_LISTEN=0.0.0.0:9180
USER ${AGENT_UID}:${AGENT_GID}
EXPOSE 9180
HEALTHCHECK --interval=30s --timeout=10s --start-period=2m --retries=3 \
  CMD ["node", "/app/dist/main.js", "healthcheck"]
# A 2 MB young generation: streaming a dump churns many short-lived buffers, and the default (up to
# 48 MB) only grows the resident set (131-142 MB at the peak of a 1 GB dump, 113 MB with it) at no gain.
ENTRYPOINT ["node", "--max-semi-space-size=2", "/app/dist/main.js"]
CMD ["daemon"]
