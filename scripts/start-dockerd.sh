#!/usr/bin/env bash
# Starts dockerd in the background when no engine answers, and waits for it.
# A dockerd killed with its session leaves /var/run/docker.pid behind and then
# refuses to start ("pid file found"): the stale file is removed first.
set -euo pipefail
log() { printf '[dockerd] %s\n' "$*" >&2; }

if docker info >/dev/null 2>&1; then exit 0; fi
if ! pgrep -x dockerd >/dev/null 2>&1; then
  rm -f /var/run/docker.pid
  pgrep -x containerd >/dev/null 2>&1 || rm -f /run/containerd/containerd.pid 2>/dev/null || true
  log "starting dockerd (log: /var/log/madre-dockerd.log)"
  nohup dockerd >/var/log/madre-dockerd.log 2>&1 </dev/null &
fi
for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then log "dockerd is up"; exit 0; fi
  sleep 0.5
done
log "dockerd did not answer within 60 s; last log lines:"
tail -n 30 /var/log/madre-dockerd.log >&2 || true
exit 1
