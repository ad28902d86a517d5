#!/usr/bin/env bash
# madre benchmarks: madre against docker-compose, the Docker Engine API and nginx, on this
# machine's dockerd. Writes docs/BENCHMARKS.md and docs/benchmarks-growth.png (and the raw
# numbers, out/bench/results-<mode>.json).
#
# Usage: bench/run.sh [--smoke|--full] [--only STEP,STEP...]
#   --smoke  (default) a few runs of everything, about 6 minutes once madre is built
#   --full   the numbers the goals speak of (50 TTL windows, 10,000 windows of history,
#            300-service project, 10 s wrk runs), about 17 to 20 minutes here
#   --only   run only these steps, in their usual order: open_close, ttl, crashloop, http,
#            state_nginx, open_vs_engine, cli, pause, ttl_slow_opens, slow_healthcheck,
#            example_open, intent, autofix, swarm, idle, growth. The partial
#            report goes to out/bench/BENCHMARKS-<mode>-only.md (results-<mode>-only.json),
#            never over docs/BENCHMARKS.md. E.g. the rows of the hardening issue alone:
#            bench/run.sh --smoke --only state_nginx,ttl_slow_opens,open_vs_engine
#
# The swarm step makes this machine's dockerd a single-node swarm when it is in none
# (`docker swarm init --advertise-addr 127.0.0.1`) and leaves it at the end, only then. A swarm
# init or leave breaks the published ports of other containers while it happens, so the whole
# step runs under the lock /tmp/madre-swarm.lock (taken by bench.py with flock(2), waited for
# at most 10 minutes in --smoke, 15 in --full; a `flock /tmp/madre-swarm.lock bench/run.sh ...`
# around the run is seen and counts as the lock). Its last full run: docs/BENCHMARKS-swarm.md
# (BENCH_OUT=$PWD/docs/BENCHMARKS-swarm.md bench/run.sh --full --only swarm).
#
# Environment:
#   BENCH_BUILD_DIR  build directory (default <repo>/build-bench, Release)
#   BENCH_OUT        report path (default <repo>/docs/BENCHMARKS.md; with --only,
#                    <repo>/out/bench/BENCHMARKS-<mode>-only.md)
#   BENCH_KEEP_WORK  1 keeps the work directory (logs, compose files) after the run
#
# What it does: installs wrk, hyperfine and nginx when missing (apt-get), starts dockerd when
# none answers, builds madre in Release, builds madre-busybox:latest, then runs bench/bench.py,
# which generates uniquely named compose projects (never "vx11", no host ports), starts
# `madre serve` on free loopback ports and measures. Everything it started is stopped and every
# project it created is taken down (compose down -v), also on failure or Ctrl-C.
set -euo pipefail

usage() { echo "usage: bench/run.sh [--smoke|--full] [--only STEP,STEP...]" >&2; exit 2; }
mode=smoke
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) mode=smoke ;;
    --full) mode=full ;;
    --only) [ $# -ge 2 ] && [ -n "$2" ] || usage; only=$2; shift ;;
    --only=*) only=${1#--only=}; [ -n "$only" ] || usage ;;
    -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
    *) usage ;;
  esac
  shift
done

steps=" open_close ttl crashloop http state_nginx open_vs_engine cli pause ttl_slow_opens"
steps+=" slow_healthcheck example_open intent autofix swarm idle growth "
for s in ${only//,/ }; do
  case "$steps" in
    *" $s "*) ;;
    *) echo "bench/run.sh: unknown step '$s'; steps:$steps" >&2; exit 2 ;;
  esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD_DIR:-$repo/build-bench}
if [ -n "$only" ]; then
  suffix=-only
  out=${BENCH_OUT:-$repo/out/bench/BENCHMARKS-$mode-only.md}
  command="bench/run.sh --$mode --only $only"
else
  suffix=""
  out=${BENCH_OUT:-$repo/docs/BENCHMARKS.md}
  command="bench/run.sh --$mode"
fi
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- tools -------------------------------------------------------------------------------------
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v gnuplot >/dev/null 2>&1 || need+=(gnuplot-nox)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  log "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # gnuplot is optional (the growth plot): its failure does not stop the run.
  core=(); for p in "${need[@]}"; do [ "$p" = gnuplot-nox ] || core+=("$p"); done
  if [ ${#core[@]} -gt 0 ]; then
    # nginx-light is Debian 12's small nginx; later releases have only `nginx`.
    $SUDO apt-get install -y -qq --no-install-recommends "${core[@]}" >/dev/null || {
      core=("${core[@]/#nginx-light/nginx}")
      log "retrying with: ${core[*]}"
      $SUDO apt-get install -y -qq --no-install-recommends "${core[@]}" >/dev/null; }
  fi
  case " ${need[*]} " in
    *" gnuplot-nox "*) $SUDO apt-get install -y -qq --no-install-recommends gnuplot-nox \
                         >/dev/null 2>&1 || log "gnuplot not installed: no plot" ;;
  esac
fi
export PATH=$PATH:/usr/sbin

"$repo/scripts/start-dockerd.sh"

# --- build -------------------------------------------------------------------------------------
log "building madre (Release) in $build"
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target madre -j2 >"$build/bench-build.log" 2>&1 || {
  tail -n 40 "$build/bench-build.log" >&2; log "build failed"; exit 1; }
"$repo/scripts/build-images.sh"

# --- run, with cleanup of everything started ----------------------------------------------------
work=$(mktemp -d /tmp/madre-bench.XXXXXX)
: >"$work/pids"; : >"$work/projects"; : >"$work/projects.done"
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # bench.py first: on SIGTERM it stops what it started and takes its projects down itself.
  if [ -n "${bench_pid:-}" ] && kill -0 "$bench_pid" 2>/dev/null; then
    log "stopping bench.py (it cleans up after itself)"
    kill -TERM "$bench_pid" 2>/dev/null || true
    for _ in $(seq 1 900); do kill -0 "$bench_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  # Processes bench.py started (madre, nginx, docker events), by their own pid only.
  while read -r pid; do
    [ -n "$pid" ] || continue
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done <"$work/pids"
  sleep 0.5
  while read -r pid; do
    [ -n "$pid" ] || continue
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  done <"$work/pids"
  # Compose projects bench.py created and did not take down itself.
  while IFS=$'\t' read -r project file; do
    [ -n "$project" ] || continue
    grep -qx "$project" "$work/projects.done" && continue
    log "taking down $project"
    docker ps -aq --filter "label=com.docker.compose.project=$project" | xargs -r docker rm -f -v \
      >/dev/null 2>&1 || true
    COMPOSE_PROFILES=core docker-compose -p "$project" -f "$file" down -v --remove-orphans \
      >/dev/null 2>&1 || true
  done <"$work/projects"
  # The swarm step's stacks, and the swarm it made, when bench.py died before its own cleanup
  # (it writes $work/swarm.done once done): removed under the same lock.
  if [ -s "$work/swarm" ] && [ ! -e "$work/swarm.done" ]; then
    python3 "$repo/bench/bench.py" --swarm-cleanup "$work" || log "swarm cleanup failed"
  fi
  if [ "${BENCH_KEEP_WORK:-0}" = 1 ]; then log "work directory kept: $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$repo/out/bench" "$(dirname "$out")"
log "mode $mode, work directory $work"
# In the background, so that a signal to this script runs the trap at once (bash defers traps
# while a foreground child runs); bench.py turns SIGTERM into its own orderly cleanup.
python3 "$repo/bench/bench.py" --mode "$mode" --madre "$build/madre" --work "$work" \
  --repo "$repo" --out "$out" --json "$repo/out/bench/results-$mode$suffix.json" \
  --command "$command" --only "$only" &
bench_pid=$!
wait "$bench_pid"
