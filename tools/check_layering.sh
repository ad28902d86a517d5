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
check base 'core/|ports/|engine/|api/|http_api/|adapters/|daemon/|cli/|boost/|nlohmann/|spdlog/|curl/|sqlite|SQLiteCpp/'
check core 'ports/|engine/|api/|http_api/|adapters/|daemon/|cli/|boost/|nlohmann/|spdlog/|curl/|sqlite|SQLiteCpp/|yaml-cpp/'
check ports 'engine/|api/|http_api/|adapters/|daemon/|cli/|boost/|nlohmann/|curl/|sqlite|SQLiteCpp/'
check engine 'adapters/|http_api/|daemon/|cli/|boost/|curl/|sqlite|SQLiteCpp/'
check api 'engine/|http_api/|adapters/|daemon/|cli/|boost/|curl/|sqlite|SQLiteCpp/'
check adapters 'http_api/|daemon/|cli/'
# The HTTP API sits between engine/ and daemon/: of the adapters it sees only the server's
# request/response types (adapters/http/http_server.h); host figures and timers come in as
# functions from the daemon.
check http_api 'daemon/|cli/|boost/|curl/|sqlite|SQLiteCpp/'
hits=$(grep -rnE '#include [<"]adapters/' http_api --include='*.h' --include='*.cc' | grep -v 'adapters/http/http_server\.h"' || true)
if [ -n "$hits" ]; then
  echo "layering violation in http_api/ (of adapters/ only adapters/http/http_server.h):"
  echo "$hits"
  fail=1
fi
# daemon/ wires everything: nothing else includes it.
for layer in base core ports engine api http_api adapters cli testing; do
  check "$layer" 'daemon/'
done
[ $fail -eq 0 ] && echo "layering ok"
exit $fail
