#!/usr/bin/env bash
# The console's browser test (docs/console.md): starts `madre serve` on the two_services compose
# fixture (its own project, port and state dir), then runs console.spec.mjs in headless
# Chromium (Debian's chromium, driven by playwright-core from package-lock.json) against it.
# Screenshots go to $MADRE_SCREENSHOT_DIR (default <source>/out/screenshots).
#   tests/browser/run.sh MADRE_BINARY
# Exit 77 (ctest: skipped, with the reason printed) when node, chromium or docker is missing,
# unless MADRE_REQUIRE_DOCKER=1: then that is a failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
madre=${1:?usage: run.sh MADRE_BINARY}
chromium=${MADRE_CHROMIUM:-/usr/bin/chromium}

missing() {
  echo "console browser test: $*" >&2
  if [ "${MADRE_REQUIRE_DOCKER:-0}" = 1 ]; then
    echo "MADRE_REQUIRE_DOCKER=1: failing (scripts/setup.sh installs it)" >&2
    exit 1
  fi
  echo "SKIPPED (set MADRE_REQUIRE_DOCKER=1 to make this a failure)" >&2
  exit 77
}
command -v node >/dev/null || missing "node is not installed"
command -v npm >/dev/null || missing "npm is not installed"
[ -x "$chromium" ] || missing "$chromium is not installed (apt-get install chromium)"
docker info >/dev/null 2>&1 || missing "dockerd does not answer"
docker image inspect madre-busybox:latest >/dev/null 2>&1 ||
  missing "the image madre-busybox:latest is missing (scripts/build-images.sh)"

# playwright-core as the lockfile pins it (the npm registry; once).
if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

work=$(mktemp -d /tmp/madre-console-XXXXXX)
project=mconsole$$
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
export DB_PORT WEB_PORT
DB_PORT=$(free_port)
WEB_PORT=$(free_port)
token=console-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
# Two more tokens (VX11_TOKENS_FILE): a viewer, whose buttons the test checks, and a submitter
# whose intents the admin approves and rejects in the console (no one approves their own).
viewer_token=viewer-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
submitter_token=submitter-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
fixture=$root/tests/integration/fixtures/two_services
madre_pid=""
cleanup() {
  if [ -n "$madre_pid" ] && kill -0 "$madre_pid" 2>/dev/null; then
    kill -TERM "$madre_pid" 2>/dev/null || true
    wait "$madre_pid" 2>/dev/null || true
  fi
  docker-compose -p "$project" -f "$fixture/docker-compose.yml" down -t 1 --remove-orphans \
    >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/tokens.toml" <<EOF
[tokens.watcher]
role = "viewer"
token_sha256 = "$(sha "$viewer_token")"

[tokens.bot]
role = "submitter"
token_sha256 = "$(sha "$submitter_token")"
EOF
chmod 600 "$work/tokens.toml"
VX11_TOKENS_FILE=$work/tokens.toml \
VX11_TOKEN=$token VX11_MADRE_PORT=$port VX11_MADRE_BIND=127.0.0.1 VX11_STATE_DIR=$work \
  VX11_COMPOSE_PROJECT=$project VX11_COMPOSE_DIR=$fixture VX11_ALWAYS_ON=madre \
  VX11_THROTTLE_CPU_PCT=0 VX11_RESYNC_SEC=2 \
  "$madre" serve >"$work/madre.log" 2>&1 &
madre_pid=$!
ready=0
for _ in $(seq 1 300); do  # at most 60 s
  if curl -fs "http://127.0.0.1:$port/health" 2>/dev/null | grep -q '"ready":true'; then
    ready=1
    break
  fi
  kill -0 "$madre_pid" 2>/dev/null || break
  sleep 0.2
done
if [ "$ready" != 1 ]; then
  cat "$work/madre.log" >&2
  echo "console browser test: madre did not become ready" >&2
  exit 1
fi

status=0
MADRE_URL=http://127.0.0.1:$port MADRE_TOKEN=$token MADRE_CHROMIUM=$chromium \
  MADRE_VIEWER_TOKEN=$viewer_token MADRE_SUBMITTER_TOKEN=$submitter_token \
  MADRE_SCREENSHOT_DIR=${MADRE_SCREENSHOT_DIR:-$root/out/screenshots} \
  node "$here/console.spec.mjs" || status=$?
if [ "$status" != 0 ]; then
  echo "--- madre log (last 60 lines)" >&2
  tail -n 60 "$work/madre.log" >&2
fi
exit "$status"
