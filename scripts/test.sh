#!/usr/bin/env bash
# Runs every test: installs what is missing, starts dockerd if needed, builds
# (warnings are errors), then the unit tier and the integration tier against
# the real dockerd. Usage: scripts/test.sh [--unit-only]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# ccache hits across clones in other directories (CI builds a fresh clone).
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=true
build=${MADRE_BUILD_DIR:-$root/build}
jobs=${MADRE_JOBS:-2}

step() { printf '\n==> %s\n' "$*"; }

step "setup (packages, dockerd)"
scripts/setup.sh

step "configure and build ($build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMADRE_WERROR=ON >/dev/null
cmake --build "$build" -j "$jobs"

step "unit tests"
ctest --test-dir "$build" -L unit -j "$jobs" --output-on-failure --timeout 120

if [ "${1:-}" = "--unit-only" ]; then exit 0; fi

step "test images"
scripts/build-images.sh

step "integration tests (real dockerd)"
ctest --test-dir "$build" -L integration -j "$jobs" --output-on-failure --timeout 300

# The fuzzers (clang, ASan + UBSan), 60 s per target (MADRE_FUZZ_SECONDS); longer runs of
# one target: `scripts/fuzz.sh 600 <target>`, see HACKING.md.
step "fuzz (${MADRE_FUZZ_SECONDS:-60} s per target)"
scripts/fuzz.sh "${MADRE_FUZZ_SECONDS:-60}"
