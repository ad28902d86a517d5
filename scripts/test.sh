#!/usr/bin/env bash
# Runs every test: installs what is missing, starts dockerd if needed, checks formatting, builds
# (warnings are errors), runs the unit tier plain and under TSan, clang-tidy on the changed
# files, the container image test (plain build), then the integration tier against the real
# dockerd under ASan + UBSan, then the fuzzers. Usage: scripts/test.sh [--unit-only]
#
# Environment:
#   MADRE_BUILD_DIR        plain build dir (build/); the sanitizer builds go to <dir>-tsan and
#                          <dir>-asan
#   MADRE_JOBS             build and ctest jobs (2)
#   MADRE_REQUIRE_DOCKER=1 an integration test that would skip fails instead, and any skip
#                          fails the run (CI sets it)
#   MADRE_TSAN=0           leave out the TSan unit run (a quicker local loop)
#   MADRE_FUZZ_SECONDS     seconds per fuzz target (60); 0 leaves the fuzzers out
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# ccache hits across clones in other directories (CI builds a fresh clone).
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=true
build=${MADRE_BUILD_DIR:-$root/build}
jobs=${MADRE_JOBS:-2}
log_dir=$build/test-logs

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS
elapsed() { printf '(%d s so far)\n' $((SECONDS - started)); }

# Runs ctest with its arguments, prints its output, and fails the run when a test was skipped
# while MADRE_REQUIRE_DOCKER=1. Prints the skip count either way.
run_ctest() {
  local name=$1; shift
  mkdir -p "$log_dir"
  local log=$log_dir/$name.log rc=0
  ctest "$@" 2>&1 | tee "$log" || rc=$?
  local skipped
  skipped=$(grep -c '\*\*\*Skipped' "$log" || true)
  echo "$name: $skipped skipped"
  if [ "$skipped" -gt 0 ]; then
    grep '\*\*\*Skipped' "$log" || true
    if [ "${MADRE_REQUIRE_DOCKER:-}" = "1" ]; then
      echo "$name: tests were skipped while MADRE_REQUIRE_DOCKER=1" >&2
      return 1
    fi
  fi
  return "$rc"
}

configure() {  # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DMADRE_WERROR=ON "$@" >/dev/null
}

step "setup (packages, dockerd)"
scripts/setup.sh

step "format (clang-format, tools/check_format.sh)"
tools/check_format.sh

step "configure and build ($build)"
configure "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$jobs" --target madre unit_tests
elapsed

step "unit tests"
run_ctest unit --test-dir "$build" -L unit -j "$jobs" --output-on-failure --timeout 120

if [ "${1:-}" = "--unit-only" ]; then exit 0; fi

step "clang-tidy (files changed against main; the whole tree: tools/run_clang_tidy.sh --all)"
tools/run_clang_tidy.sh "$build"

if [ "${MADRE_TSAN:-1}" != "0" ]; then
  step "unit tests under ThreadSanitizer (${build}-tsan)"
  configure "${build}-tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSANITIZE=thread
  cmake --build "${build}-tsan" -j "$jobs" --target unit_tests
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    run_ctest unit-tsan --test-dir "${build}-tsan" -L unit -j "$jobs" --output-on-failure \
    --timeout 300
  elapsed
fi

step "test images"
scripts/build-images.sh

step "madre's container image and deploy/compose.madre.yml (tests/container, plain build)"
run_ctest container --test-dir "$build" -L container --output-on-failure --timeout 600
elapsed

step "integration tests under ASan + UBSan (real dockerd, ${build}-asan)"
# Whether the engine was in a swarm before (then the Swarm tests leave it so).
MADRE_SWARM_BEFORE=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown)
configure "${build}-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSANITIZE=address
cmake --build "${build}-asan" -j "$jobs" --target madre integration_tests example_itests fault_itests
if [ -s "${build}-asan/not_registered.txt" ]; then
  sed 's/^/not registered: /' "${build}-asan/not_registered.txt"
fi
ASAN_OPTIONS="detect_leaks=1:abort_on_error=0" \
  run_ctest integration --test-dir "${build}-asan" -L integration -j "$jobs" \
  --output-on-failure --timeout 300
# A test must leave the machine as it found it: a second dockerd started carelessly deletes the
# host's docker0 bridge, after which the main dockerd cannot run a container on its default
# network (docker build with RUN steps included).
if ! ip link show docker0 >/dev/null 2>&1; then
  echo "the host's docker0 bridge is gone after the integration tier" >&2
  exit 1
fi
echo "docker0 still present"
# The Swarm tests (swarm_itest.cc) make a single-node swarm when the engine is in none, and
# must leave it, also when they fail.
swarm_state=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown)
if [ "$swarm_state" != "inactive" ] && [ "${MADRE_SWARM_BEFORE:-inactive}" = "inactive" ]; then
  echo "the engine is left in a swarm ($swarm_state) after the integration tier" >&2
  exit 1
fi
echo "swarm: $swarm_state"
# The two-node Swarm test (swarm_two_node_itest.cc) runs two dockerds in network namespaces
# named madre-2n-<pid>-{mgr,wkr}; it removes them, also when it fails.
if ip netns list 2>/dev/null | grep -q '^madre-2n-'; then
  echo "network namespaces of the two-node Swarm test are left: $(ip netns list | grep '^madre-2n-')" >&2
  exit 1
fi
elapsed

# The fuzzers (clang, ASan + UBSan), 60 s per target (MADRE_FUZZ_SECONDS); longer runs of
# one target: `scripts/fuzz.sh 600 <target>`, see HACKING.md.
if [ "${MADRE_FUZZ_SECONDS:-60}" != "0" ]; then
  step "fuzz (${MADRE_FUZZ_SECONDS:-60} s per target)"
  scripts/fuzz.sh "${MADRE_FUZZ_SECONDS:-60}"
fi
elapsed
