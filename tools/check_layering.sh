#!/usr/bin/env bash
# Fails when a layer includes a header it must not depend on (see HACKING.md).
set -u
root=${1:-$(dirname "$0")/..}
cd "$root/src" || exit 2
fail=0
check() {  # layer, forbidden include regex
  local layer=$1 pattern=$2 hits
  hits=$(grep -rnE "#include [<\"]($pattern)" "$layer" --include='*.h' --include='*.cc' | grep -v '_test\.cc:' || true)
  if [ -n "$hits" ]; then
    echo "layering violation in $layer/ (may not include $pattern):"
    echo "$hits"
    fail=1
  fi
}
check base 'core/|ports/|engine/|api/|adapters/|daemon/|cli/|boost/|nlohmann/|spdlog/|curl/|sqlite|SQLiteCpp/'
check core 'ports/|engine/|api/|adapters/|daemon/|cli/|boost/|nlohmann/|spdlog/|curl/|sqlite|SQLiteCpp/|yaml-cpp/'
check ports 'engine/|api/|adapters/|daemon/|cli/|boost/|nlohmann/|curl/|sqlite|SQLiteCpp/'
check engine 'adapters/|daemon/|cli/|boost/|curl/|sqlite|SQLiteCpp/'
check api 'engine/|adapters/|daemon/|cli/|boost/|curl/|sqlite|SQLiteCpp/'
check adapters 'daemon/|cli/'
[ $fail -eq 0 ] && echo "layering ok"
exit $fail
