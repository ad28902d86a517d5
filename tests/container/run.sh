#!/usr/bin/env bash
# madre in a container of its own stack (issue 14; docs/running.md "In a container"): builds
# the image (scripts/build-madre-image.sh) from the given binary, makes a project with
# deploy/compose.madre.yml beside a stack of `redis` (always-on) and `web` (bind-mounts
# ./shared), starts madre and redis with `docker-compose up -d`, then through madre's API:
#   - the image's HEALTHCHECK (`madre health`) makes the container healthy;
#   - a window of `web` opens; web runs and reads the host's ./shared/nonce through its bind
#     mount (the project is mounted at the same path in madre's container);
#   - the close stops web and leaves madre and redis running; SOLO_MADRE holds;
#   - madre refuses to restart its own service, and its container keeps running unrestarted.
#   tests/container/run.sh MADRE_BINARY
# Exit 77 (ctest: skipped, with the reason) without docker, docker-compose or debootstrap,
# unless MADRE_REQUIRE_DOCKER=1: then a failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
madre=${1:?usage: run.sh MADRE_BINARY}

missing() {
  echo "container test: $*" >&2
  if [ "${MADRE_REQUIRE_DOCKER:-0}" = 1 ]; then
    echo "MADRE_REQUIRE_DOCKER=1: failing (scripts/setup.sh installs it)" >&2
    exit 1
  fi
  echo "SKIPPED (set MADRE_REQUIRE_DOCKER=1 to make this a failure)" >&2
  exit 77
}
command -v docker-compose >/dev/null || missing "docker-compose is not installed"
command -v debootstrap >/dev/null || missing "debootstrap is not installed"
docker info >/dev/null 2>&1 || missing "dockerd does not answer"
docker image inspect madre-busybox:latest >/dev/null 2>&1 ||
  missing "the image madre-busybox:latest is missing (scripts/build-images.sh)"

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { printf '==> %s\n' "$*"; }

step "image"
"$root/scripts/build-madre-image.sh" "$madre"

project=mctr$$$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')
dir=$(mktemp -d "/tmp/madre-container-XXXXXX")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
token=ctr-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
nonce=nonce-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
compose() { (cd "$dir" && docker-compose "$@"); }
cleanup() {
  local rc=$?
  if [ $rc -ne 0 ]; then
    echo "--- madre's log ---" >&2
    compose logs --no-color --tail=80 madre >&2 2>/dev/null || true
  fi
  compose down -v -t 1 --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$dir"
  exit $rc
}
trap cleanup EXIT

# The operator's project: the stack, the snippet copied beside it, .env, an override with
# this test's settings, and a file that web bind-mounts.
cp "$root/deploy/compose.madre.yml" "$dir/compose.madre.yml"
mkdir "$dir/shared"
printf '%s\n' "$nonce" >"$dir/shared/nonce"
cat >"$dir/docker-compose.yml" <<EOF
x-svc: &svc
  image: madre-busybox:latest
  pull_policy: never
  stop_grace_period: 2s
  healthcheck:
    test: ["CMD-SHELL", "wget -q -O- http://127.0.0.1:\$\$PORT/health"]
    interval: 500ms
    timeout: 2s
    retries: 60
    start_period: 1s
services:
  redis:
    <<: *svc
    environment: {SERVICE_NAME: redis, PORT: "8080"}
  web:
    <<: *svc
    environment: {SERVICE_NAME: web, PORT: "8080"}
    ports: ["127.0.0.1:$(free_port):8080"]
    volumes: ["./shared:/shared:ro"]
EOF
cat >"$dir/madre.override.yml" <<'EOF'
services:
  madre:
    environment:
      VX11_THROTTLE_CPU_PCT: "0"
      VX11_RESYNC_SEC: "2"
EOF
cat >"$dir/.env" <<EOF
COMPOSE_PROJECT_NAME=$project
COMPOSE_FILE=docker-compose.yml:compose.madre.yml:madre.override.yml
VX11_COMPOSE_FILES=docker-compose.yml,compose.madre.yml,madre.override.yml
VX11_PROJECT_DIR=$dir
VX11_MADRE_PORT=$port
VX11_TOKEN=$token
MADRE_IMAGE=madre:latest
EOF

step "docker-compose up -d madre redis (project $project in $dir)"
compose up -d madre redis
madre_id=$(docker ps -q --no-trunc --filter "label=com.docker.compose.project=$project" \
             --filter "label=com.docker.compose.service=madre")
[ -n "$madre_id" ] || fail "no madre container"
started_at=$(docker inspect -f '{{.State.StartedAt}}' "$madre_id")

api() {  # method path [body]: prints the body, then the status on a line of its own
  curl -sS -m 120 -X "$1" -H "X-VX11-Token: $token" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} -w '\n%{http_code}\n' "http://127.0.0.1:$port$2"
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
body() { sed '$d'; }
code() { tail -1; }

step "the HEALTHCHECK (madre health) makes madre's container healthy"
for _ in $(seq 1 90); do
  health=$(docker inspect -f '{{.State.Health.Status}}' "$madre_id")
  [ "$health" = healthy ] && break
  [ "$(docker inspect -f '{{.State.Running}}' "$madre_id")" = true ] || fail "madre exited"
  sleep 1
done
[ "$health" = healthy ] || fail "madre's container is $health after 90 s"
echo "madre: healthy"
madre_log=$(compose logs --no-color madre)
grep -q "container ${madre_id:0:12} of service madre: the service counts as always-on" \
  <<<"$madre_log" || fail "madre did not find its own container"

step "a window of web opens"
answer=$(api POST /madre/power/windows/open '{"services":["web"],"ttl_sec":300,"wait":true}')
[ "$(code <<<"$answer")" = 200 ] || fail "open answered $answer"
window=$(body <<<"$answer" | json 'd.get("window",d)["window_id"]')
state=$(body <<<"$answer" | json 'd.get("window",d)["state"]')
[ "$state" = open ] || fail "the window is $state: $answer"
web_id=$(docker ps -q --filter "label=com.docker.compose.project=$project" \
           --filter "label=com.docker.compose.service=web")
[ -n "$web_id" ] || fail "web does not run after the open"
seen=$(docker exec "$web_id" cat /shared/nonce)
[ "$seen" = "$nonce" ] || fail "web's /shared/nonce is '$seen', the host's is '$nonce'"
echo "web runs ($web_id) and reads the host's ./shared/nonce"

step "madre refuses to restart its own service"
answer=$(api POST /madre/power/service/madre/restart '{"apply":true}')
[ "$(code <<<"$answer")" = 409 ] && grep -q "does not restart its own container" <<<"$answer" ||
  fail "restart of madre answered $answer"
echo "refused ($(code <<<"$answer")): $(body <<<"$answer" | head -c 300)"

step "the close stops web and leaves madre and redis"
answer=$(api POST /madre/power/windows/close "{\"window_id\":\"$window\"}")
[ "$(code <<<"$answer")" = 200 ] || fail "close answered $answer"
running=$(docker ps --format '{{.Label "com.docker.compose.service"}}' \
            --filter "label=com.docker.compose.project=$project" | sort | paste -sd, -)
[ "$running" = "madre,redis" ] || fail "after the close these run: $running"
answer=$(api GET /madre/power/policy/solo_madre/status)
[ "$(body <<<"$answer" | json 'd["policy_active"] and not d["unexpected_services"]')" = True ] ||
  fail "SOLO_MADRE does not hold: $answer"
[ "$(docker inspect -f '{{.State.StartedAt}}' "$madre_id")" = "$started_at" ] ||
  fail "madre's container was restarted"
[ "$(docker inspect -f '{{.RestartCount}}' "$madre_id")" = 0 ] || fail "madre restarted"
echo "PASS: containerised madre opened and closed a window on its own stack"
