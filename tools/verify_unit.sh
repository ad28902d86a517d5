#!/bin/sh
# `systemd-analyze verify` of deploy/madre.service, on a copy whose ExecStart names the built
# binary (verify wants it to exist); any message about the unit fails, as does a missing piece
# of what docs/running.md promises (Type=notify, the user, the hardening, the watchdog).
# Usage: tools/verify_unit.sh UNIT_FILE MADRE_BINARY [SYSTEMD_ANALYZE]
# ctest runs it as systemd_unit_verify where systemd-analyze exists (CMakeLists.txt).
set -eu
unit=$1 madre=$(cd "$(dirname "$2")" && pwd)/$(basename "$2") analyze=${3:-systemd-analyze}
dir=$(mktemp -d "${TMPDIR:-/tmp}/madre-unit.XXXXXX")
trap 'rm -rf "$dir"' EXIT
for line in 'Type=notify' 'ExecStart=/usr/local/bin/madre serve' \
  'EnvironmentFile=/etc/madre/madre.env' 'User=madre' 'SupplementaryGroups=docker' \
  'StateDirectory=madre' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' \
  'PrivateTmp=yes' 'ReadWritePaths=' 'WatchdogSec=' 'Restart=on-failure'; do
  grep -q "^$line" "$unit" || { echo "$unit lacks $line" >&2; exit 1; }
done
sed "s|^ExecStart=/usr/local/bin/madre |ExecStart=$madre |" "$unit" >"$dir/madre.service"
status=0
out=$("$analyze" verify --man=no "$dir/madre.service" 2>&1) || status=$?
if [ "$status" -ne 0 ] || echo "$out" | grep -q 'madre\.service'; then
  echo "$out" >&2
  echo "systemd-analyze verify: $unit is not clean (exit $status)" >&2
  exit 1
fi
echo "systemd-analyze verify: $unit is clean ($("$analyze" --version | head -n 1))"
# The user's sysusers.d line, applied to an empty root.
sysusers=$(dirname "$unit")/madre.sysusers.conf
if [ -f "$sysusers" ] && command -v systemd-sysusers >/dev/null 2>&1; then
  mkdir -p "$dir/root/etc"
  systemd-sysusers --root="$dir/root" "$(cd "$(dirname "$sysusers")" && pwd)/madre.sysusers.conf" >/dev/null 2>&1
  grep -q '^madre:x:[0-9]*:[0-9]*:.*:/var/lib/madre:' "$dir/root/etc/passwd" ||
    { echo "$sysusers does not create the user madre" >&2; exit 1; }
  echo "systemd-sysusers: $sysusers creates the user madre"
fi
