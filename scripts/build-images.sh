#!/usr/bin/env bash
# Builds madre-busybox:latest, the one image that the example VX11 stack
# (examples/vx11/) and the integration fixtures (tests/integration/fixtures/) use.
#
# There is no registry on the machines of this project, so the image is built
# FROM scratch out of the host's static busybox (Debian package busybox-static).
# It carries /bin/vx11-service, a tiny stand-in for a VX11 service:
#
#   SERVICE_NAME  name reported by the service (default "service")
#   PORT          HTTP port to listen on (default 8080)
#   START_DELAY   seconds to wait before serving, to make health slow (default 0)
#   CRASH=1       exit 1 after a second instead of serving, to crash-loop
#
# It serves GET /health -> {"status":"ok","service":NAME} and, for the service
# named "switch", GET /switch/state; for the one named "spawner", a fake task
# (/bin/vx11-task as a CGI): POST /cgi-bin/task starts one (201
# {"task_id":"tN","state":"running"}), GET /cgi-bin/task?id=tN tells its state,
# `running` at its first two looks, then `done` (examples/vx11/flows.toml).
# SIGTERM stops it at once (exit 0).
#
# Idempotent and fast: the image carries a label with the hash of its inputs,
# and nothing is built when an image with that hash exists.
# Usage: scripts/build-images.sh [--force]
set -euo pipefail

IMAGE=madre-busybox:latest
BUSYBOX=${BUSYBOX:-/bin/busybox}
force=0
[ "${1:-}" = "--force" ] && force=1

log() { printf '[build-images] %s\n' "$*" >&2; }

if [ ! -x "$BUSYBOX" ]; then
  log "no static busybox at $BUSYBOX (apt-get install busybox-static)"
  exit 1
fi

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

cat >"$ctx/vx11-service" <<'EOF'
#!/bin/sh
# Stand-in for a VX11 service: a busybox httpd with /health (see build-images.sh).
NAME=${SERVICE_NAME:-service}
PORT=${PORT:-8080}
child=
# PID 1 ignores signals without a handler: trap them, and stop the child too.
on_term() {
  [ -n "$child" ] && kill "$child" 2>/dev/null
  echo "$NAME: stopping"
  exit 0
}
trap on_term TERM INT
# Sleeps run in the background and are waited for, so a trap runs at once.
pause() { sleep "$1" & child=$!; wait "$child"; child=; }

if [ "${CRASH:-0}" = 1 ]; then
  echo "$NAME: crashing on purpose (CRASH=1)"
  pause 1
  exit 1
fi
if [ "${START_DELAY:-0}" != 0 ]; then
  echo "$NAME: start delay ${START_DELAY}s"
  pause "$START_DELAY"
fi

mkdir -p /www
printf '{"status":"ok","service":"%s"}\n' "$NAME" >/www/health
if [ "$NAME" = switch ]; then
  mkdir -p /www/switch
  printf '{"service":"switch","mode":"auto","active_route":"local"}\n' >/www/switch/state
fi
if [ "$NAME" = spawner ]; then
  mkdir -p /www/cgi-bin
  cp /bin/vx11-task /www/cgi-bin/task
fi
echo "$NAME: serving on :$PORT"
httpd -f -p "$PORT" -h /www &
child=$!
wait "$child"
status=$?
echo "$NAME: httpd exited with $status"
exit "$status"
EOF
chmod 0755 "$ctx/vx11-service"

cat >"$ctx/vx11-task" <<'EOF'
#!/bin/sh
# A fake task (the spawner's daughter lifecycle), run by busybox httpd as a CGI: see above.
dir=/tmp/tasks
mkdir -p "$dir"
answer() {  # status, JSON body
  printf 'HTTP/1.0 %s\r\nContent-Type: application/json\r\n\r\n%s\n' "$1" "$2"
  exit 0
}
if [ "$REQUEST_METHOD" = POST ]; then
  n=$(( $(cat "$dir/seq" 2>/dev/null || echo 0) + 1 ))
  echo "$n" >"$dir/seq"
  echo 0 >"$dir/t$n"
  answer "201 Created" "{\"task_id\":\"t$n\",\"state\":\"running\"}"
fi
id=${QUERY_STRING#id=}
case "$id" in
  t[0-9]*) ;;
  *) answer "400 Bad Request" '{"detail":"GET /cgi-bin/task?id=tN"}' ;;
esac
[ -f "$dir/$id" ] || answer "404 Not Found" "{\"detail\":\"no task $id\"}"
looks=$(( $(cat "$dir/$id") + 1 ))
echo "$looks" >"$dir/$id"
state=running
[ "$looks" -ge 3 ] && state=done
answer "200 OK" "{\"task_id\":\"$id\",\"state\":\"$state\"}"
EOF
chmod 0755 "$ctx/vx11-task"
cp "$BUSYBOX" "$ctx/busybox"

cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY vx11-service /bin/vx11-service
COPY vx11-task /bin/vx11-task
ENV PATH=/bin
CMD ["/bin/vx11-service"]
EOF

hash=$(cat "$ctx/Dockerfile" "$ctx/vx11-service" "$ctx/vx11-task" "$ctx/busybox" | sha256sum |
  cut -c1-16)
current=$(docker image inspect -f '{{index .Config.Labels "madre.build-hash"}}' "$IMAGE" \
  2>/dev/null || true)
if [ "$force" = 0 ] && [ "$current" = "$hash" ]; then
  log "$IMAGE is up to date ($hash)"
  exit 0
fi

log "building $IMAGE ($hash)"
# The legacy builder: Debian's dockerd 20.10 has no buildx plugin beside it.
if ! out=$(DOCKER_BUILDKIT=0 docker build -q --label "madre.build-hash=$hash" -t "$IMAGE" \
  "$ctx" 2>&1); then
  printf '%s\n' "$out" >&2
  log "docker build failed"
  exit 1
fi
