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

# Smoke mode of the fuzzers (clang, ASan + UBSan): 20 s per target. The full run is
# `scripts/fuzz.sh` (60 s per target); see HACKING.md.
step "fuzz smoke (${MADRE_FUZZ_SECONDS:-20} s per target)"
scripts/fuzz.sh "${MADRE_FUZZ_SECONDS:-20}"
