#!/usr/bin/env bash
# Fails when a tracked C++ file is not formatted as .clang-format says (clang-format 14).
# Fix with: tools/check_format.sh --fix
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cc' '*.h')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
if ! clang-format --dry-run --Werror "${files[@]}" 2>/tmp/madre-format.$$; then
  grep -E '^[^ ].*: (error|warning):' /tmp/madre-format.$$ | cut -d: -f1 | sort -u |
    sed 's/^/not formatted: /'
  rm -f /tmp/madre-format.$$
  echo "run tools/check_format.sh --fix" >&2
  exit 1
fi
rm -f /tmp/madre-format.$$
echo "format ok (${#files[@]} files)"
