#!/usr/bin/env bash
# Installs everything madre needs on a fresh Debian 12 machine and makes sure a
# Docker engine answers. Safe to run again: it only installs what is missing and
# only starts dockerd when `docker info` fails.
set -euo pipefail

PACKAGES=(
  g++ cmake make ninja-build pkg-config ccache
  libboost-dev libssl-dev libcurl4-openssl-dev nlohmann-json3-dev
  libsqlite3-dev libsqlitecpp-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libyaml-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  docker.io docker-compose busybox-static curl procps iproute2 util-linux
  clang-format clang-tidy
  zsh fish systemd  # the completion scripts and deploy/madre.service are checked with them
  python3 python3-jsonschema  # tools/validate_openapi.py: live answers against docs/openapi.json
  chromium  # the console's browser test (tests/browser, docs/console.md)
  debootstrap  # the Debian base of madre's container image (scripts/build-madre-image.sh)
)
# node and npm for the browser test's playwright-core, unless a node with npm is there already
# (another distribution's nodejs package carries npm itself).
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

log() { printf '[setup] %s\n' "$*" >&2; }

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# playwright-core as tests/browser/package-lock.json pins it (from the npm registry).
browser_dir="$(dirname "$0")/../tests/browser"
if [ ! -f "$browser_dir/node_modules/playwright-core/package.json" ]; then
  log "npm ci in tests/browser (playwright-core)"
  (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

"$(dirname "$0")/start-dockerd.sh"
