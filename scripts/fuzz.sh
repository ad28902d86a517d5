#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan) and runs each one in turn.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 60; TARGET defaults to every fuzz target. Examples:
#   scripts/fuzz.sh                       # the full run: 60 s for each of the five targets
#   scripts/fuzz.sh 20                    # a quick run
#   scripts/fuzz.sh 600 fuzz_open_body    # a long run of one target
# Each target runs as
#   build-fuzz/fuzz/<target> -max_total_time=N -timeout=10 -rss_limit_mb=2048 \
#     -dict=fuzz/dict/<dict> -artifact_prefix=build-fuzz/fuzz-artifacts/<target>/ <copy of corpus>
# on a COPY of fuzz/corpus/<target> (the repository's corpus is never modified), one target at
# a time (the machine has 2 cores shared with others).
#
# Exits non-zero if any target crashed, leaked, timed out or broke one of its FUZZ_CHECKs. The
# input is kept in build-fuzz/fuzz-artifacts/<target>/ (crash-*, leak-*, timeout-*, oom-*);
# reproduce with:  build-fuzz/fuzz/<target> build-fuzz/fuzz-artifacts/<target>/crash-...
#
# Environment: MADRE_FUZZ_BUILD_DIR (default <repo>/build-fuzz), MADRE_FUZZ_JOBS (default 2).
# Installs clang and its sanitizer/libFuzzer runtime (Debian: clang libclang-rt-14-dev) if missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_TARGET="${1:-60}"
shift || true
BUILD_DIR="${MADRE_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
JOBS="${MADRE_FUZZ_JOBS:-2}"
# ccache hits across clones in other directories (CI builds a fresh clone).
export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=true
ALL_TARGETS=(fuzz_open_body fuzz_compose_parsers fuzz_docker_parsers fuzz_time fuzz_query_string)
if [[ $# -gt 0 ]]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi

if ! [[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || [[ "$SECONDS_PER_TARGET" -eq 0 ]]; then
  echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2
  exit 2
fi

dict_of() {
  case "$1" in
    fuzz_time) echo "$ROOT/fuzz/dict/time.dict" ;;
    fuzz_query_string) echo "$ROOT/fuzz/dict/query.dict" ;;
    *) echo "$ROOT/fuzz/dict/json.dict" ;;
  esac
}

have_fuzzer_runtime() {
  command -v clang++ >/dev/null 2>&1 || return 1
  local lib
  lib="$(clang++ -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)"
  [[ -f "$lib" ]] && return 0
  # Older layouts: <resource dir>/lib/linux/.
  [[ -f "$(clang++ -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a" ]]
}

if ! have_fuzzer_runtime; then
  echo "== installing clang and libclang-rt-14-dev"
  SUDO=""
  [[ "$(id -u)" -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get install -y clang libclang-rt-14-dev; then
    $SUDO apt-get update
    $SUDO apt-get install -y clang libclang-rt-14-dev
  fi
  have_fuzzer_runtime || { echo "clang's libFuzzer runtime is still missing" >&2; exit 1; }
fi

GENERATOR=()
command -v ninja >/dev/null 2>&1 && GENERATOR=(-G Ninja)
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  echo "== configuring $BUILD_DIR"
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD_DIR" "${GENERATOR[@]}" \
    -DMADRE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
else
  cmake -S "$ROOT" -B "$BUILD_DIR" -DMADRE_FUZZ=ON >/dev/null
fi
echo "== building ${TARGETS[*]}"
cmake --build "$BUILD_DIR" --target "${TARGETS[@]}" -j "$JOBS"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/madre-fuzz.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0
failures=()
for target in "${TARGETS[@]}"; do
  binary="$BUILD_DIR/fuzz/$target"
  corpus="$WORK/$target"
  artifacts="$BUILD_DIR/fuzz-artifacts/$target"
  log="$BUILD_DIR/fuzz-logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  if [[ -d "$ROOT/fuzz/corpus/$target" ]]; then cp -R "$ROOT/fuzz/corpus/$target/." "$corpus/"; fi
  echo "== $target: ${SECONDS_PER_TARGET}s (log: $log)"
  set +e
  "$binary" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -dict="$(dict_of "$target")" -artifact_prefix="$artifacts/" -print_final_stats=1 \
    "$corpus" >"$log" 2>&1
  rc=$?
  set -e
  if [[ $rc -eq 0 ]]; then
    passed=$((passed + 1))
    grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true
  else
    failed=$((failed + 1))
    failures+=("$target")
    echo "!! $target failed (exit $rc); last lines of the log:"
    tail -n 40 "$log"
    ls -1 "$artifacts" | sed "s|^|   artifact: $artifacts/|"
  fi
done

echo "fuzz: $passed passed, $failed failed"
if [[ $failed -gt 0 ]]; then
  echo "failed targets: ${failures[*]}" >&2
  exit 1
fi
