#!/usr/bin/env bash
# clang-tidy (.clang-tidy) over the .cc files changed against main, or every .cc with --all.
#   tools/run_clang_tidy.sh [BUILD_DIR] [--all]
# BUILD_DIR (default build/) must hold compile_commands.json (CMake writes it). On main itself
# (a fresh clone in CI), "changed" means changed by the last commit.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
all=0
for arg in "$@"; do
  case "$arg" in
    --all) all=1 ;;
    *) build=$arg ;;
  esac
done
[ -f "$build/compile_commands.json" ] || { echo "no $build/compile_commands.json" >&2; exit 2; }
if [ "$all" = 1 ]; then
  mapfile -t files < <(git ls-files 'src/*.cc')
else
  base=$(git merge-base HEAD main 2>/dev/null || git merge-base HEAD origin/main 2>/dev/null || true)
  if [ -z "$base" ] || [ "$base" = "$(git rev-parse HEAD)" ]; then
    base=$(git rev-parse -q --verify HEAD~1 || true)
  fi
  if [ -z "$base" ]; then
    echo "clang-tidy: no base commit to compare with"
    exit 0
  fi
  mapfile -t files < <(git diff --name-only --diff-filter=AM "$base" HEAD -- 'src/*.cc')
fi
# Files the build does not compile (e.g. removed since) are left out.
checked=()
for f in "${files[@]}"; do
  grep -q "\"file\": \".*/$f\"" "$build/compile_commands.json" && checked+=("$f")
done
if [ ${#checked[@]} -eq 0 ]; then
  echo "clang-tidy: no changed source files"
  exit 0
fi
echo "clang-tidy: ${#checked[@]} file(s)"
# clang 14 does not define __cpp_coroutines in C++20 mode, so Boost 1.74's Asio would leave out
# its coroutine support (co_await, awaitable) that the HTTP server uses; g++ builds it with it.
extra=(--extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT=1 --extra-arg=-DBOOST_ASIO_HAS_STD_COROUTINE=1)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if printf '%s\n' "${checked[@]}" |
  xargs -P "${MADRE_JOBS:-2}" -n 4 clang-tidy -p "$build" --quiet --warnings-as-errors='*' \
    "${extra[@]}" >"$out" 2>&1; then
  echo "clang-tidy ok"
else
  grep -v 'warnings generated' "$out" >&2 || true
  echo "clang-tidy found problems (above)" >&2
  exit 1
fi
