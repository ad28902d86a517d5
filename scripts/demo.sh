#!/usr/bin/env bash
# The main job: madre driving the bundled example VX11 stack (examples/vx11).
#   1. installs what is missing, starts dockerd if needed, builds madre, builds the images;
#   2. starts `madre serve` on 127.0.0.1:8001 for the compose project `vx11`;
#   3. shows one power window step by step: SOLO_MADRE -> open -> TTL expiry -> SOLO_MADRE;
#   4. runs `madre conductor` (the end-to-end check) and prints its report;
#   5. stops madre and takes the example stack down.
# Exit code: the conductor's (0 only when every phase passed).
# Env: MADRE_DEMO_PORT (8001), MADRE_DEMO_TTL (6 s), MADRE_BUILD_DIR (./build).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# ccache hits across clones in other directories (CI builds a fresh clone).
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=true
build=${MADRE_BUILD_DIR:-$root/build}
port=${MADRE_DEMO_PORT:-8001}
ttl=${MADRE_DEMO_TTL:-6}
project=vx11
compose_file=$root/examples/vx11/docker-compose.yml
out=$root/out/demo
state=$out/state
madre=$build/madre

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
compose() { docker-compose -p "$project" -f "$compose_file" "$@"; }

step "setup: packages, dockerd, build, images"
scripts/setup.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "${MADRE_JOBS:-2}" --target madre
scripts/build-images.sh

step "clean slate: example stack down, fresh state dir ($state)"
compose down -t 1 --remove-orphans >/dev/null 2>&1 || true
rm -rf "$state" && mkdir -p "$state"

export VX11_TOKEN=${VX11_TOKEN:-demo-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}
export VX11_MADRE_URL=http://127.0.0.1:$port
madre_pid=""
cleanup() {
  if [ -n "$madre_pid" ] && kill -0 "$madre_pid" 2>/dev/null; then
    kill -TERM "$madre_pid" 2>/dev/null || true
    wait "$madre_pid" 2>/dev/null || true
  fi
  compose down -t 1 --remove-orphans >/dev/null 2>&1 || true
}
trap cleanup EXIT

step "madre serve on 127.0.0.1:$port with examples/vx11/madre.toml (log: $out/madre.log)"
# The example's settings (project vx11, the gateway tentaculo_link kept up with redis); the
# environment gives the port and the state dir, which the file leaves out.
VX11_MADRE_PORT=$port VX11_STATE_DIR=$state VX11_THROTTLE_CPU_PCT=${VX11_THROTTLE_CPU_PCT:-90} \
  "$madre" serve --config "$root/examples/vx11/madre.toml" >"$out/madre.log" 2>&1 &
madre_pid=$!
for _ in $(seq 1 100); do
  "$madre" health >/dev/null 2>&1 && break
  kill -0 "$madre_pid" 2>/dev/null || { cat "$out/madre.log"; echo "madre exited"; exit 1; }
  sleep 0.2
done
# /health's "ready": madre's start-up reconcile (redis started) is done.
for _ in $(seq 1 300); do
  "$madre" health --json 2>/dev/null | grep -q '"ready": true' && break
  sleep 0.2
done
"$madre" health

step "SOLO_MADRE at rest (madre started the always-on services: redis and the gateway)"
for _ in $(seq 1 50); do
  "$madre" solo-madre status --json 2>/dev/null | grep -q '"policy_active": true' && break
  sleep 0.2
done
"$madre" solo-madre status

step "open a window: switch and hermes, TTL ${ttl}s"
# A host busier than VX11_THROTTLE_CPU_PCT (a CI machine right after its test run) refuses the
# open with 503 `throttled` and Retry-After: 10; the demo waits as a client should, 6 times.
for attempt in 1 2 3 4 5 6; do
  set +e
  "$madre" open switch hermes --ttl "${ttl}s" --wait --reason "readme demo" 2>&1 |
    tee "$out/open.log"
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" -eq 0 ]; then break; fi
  if [ "$attempt" -eq 6 ] || ! grep -q throttled "$out/open.log"; then exit "$rc"; fi
  echo "  (the host is busy: trying again in 10 s, as Retry-After says)"
  sleep 10
done
"$madre" state
"$madre" status

step "wait for the TTL to run out (madre's timer closes the window, nothing polls)"
for i in $(seq "$ttl" -1 1); do printf '  %ss left\r' "$i"; sleep 1; done
for _ in $(seq 1 100); do
  "$madre" state --json 2>/dev/null | grep -q '"policy": "solo_madre"' && break
  sleep 0.2
done
"$madre" windows --history --limit 1
"$madre" solo-madre status

step "conductor: the end-to-end check (SPEC §8)"
set +e
"$madre" conductor --reason "readme demo" --services switch,hermes --ttl 60s --out "$root/out/conductor"
code=$?
set -e
report=$(ls -d "$root"/out/conductor/*_E2E_CONDUCTOR 2>/dev/null | sort | tail -n 1)
step "report: $report/CONDUCTOR_RUN_LOG.md"
[ -n "$report" ] && sed -n '1,40p' "$report/CONDUCTOR_RUN_LOG.md"

step "audit trail (last 8 records) and its hash chain"
"$madre" audit --limit 8 || true
"$madre" verify-audit --audit-dir "$state/audit" || code=1
exit $code
