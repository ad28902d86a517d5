#!/usr/bin/env bash
# Builds madre's container image, madre:<version> and madre:latest, from deploy/Dockerfile
# (docs/running.md "In a container"): Debian 12 slim with Debian's docker-compose (v1), the
# docker CLI of Debian's docker.io (madre runs `docker inspect` beside compose v1; the daemon
# is left out), the shared libraries madre links, and the madre binary given, without its
# debug info. HEALTHCHECK: `madre health`.
#
# No registry is reachable on the machines of this project, so the Debian base is made here:
# `debootstrap --variant=minbase bookworm` from the mirror apt uses (MADRE_DEBIAN_MIRROR
# overrides), trimmed as Debian's -slim images are (no docs, man pages, locales, apt lists or
# caches) and `docker import`ed as madre-base:bookworm-<hash of its inputs>. An existing base
# with that hash is reused (the base takes about a minute, the image seconds).
#
# Usage: scripts/build-madre-image.sh [MADRE_BINARY]   (default: build/madre)
# Prints the image's size at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
binary=${1:-$root/build/madre}
mirror=${MADRE_DEBIAN_MIRROR:-}
log() { printf '[build-madre-image] %s\n' "$*" >&2; }

[ -x "$binary" ] || { log "no madre binary at $binary (build it first: see HACKING.md)"; exit 1; }
for tool in debootstrap docker dpkg-deb apt-get objcopy; do
  command -v "$tool" >/dev/null || { log "$tool is missing (scripts/setup.sh installs it)"; exit 1; }
done
if [ -z "$mirror" ]; then
  # The first deb.debian.org-style URI of apt's own sources (deb822 or one-line format).
  mirror=$(grep -rhE '^[[:space:]]*(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/ \
             2>/dev/null | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -1 | tr -d ' ' || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi

# The Debian packages of the shared libraries madre links (ldd; usr-merged paths).
packages=()
while read -r lib; do
  [ -n "$lib" ] || continue
  pkg=""
  for candidate in "$lib" "/usr$lib" "$(readlink -f "$lib")"; do
    pkg=$(dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$pkg" ] && break
  done
  [ -n "$pkg" ] || { log "no Debian package owns $lib (ldd $binary)"; exit 1; }
  packages+=("$pkg")
done < <(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
include=$(printf '%s\n' docker-compose ca-certificates "${packages[@]}" | sort -u | paste -sd, -)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The docker.io version apt would install (its CLI goes into the base), without downloading it.
docker_version() { apt-cache policy docker.io 2>/dev/null | awk '/Candidate:/ { print $2 }'; }
docker_io=$(docker_version)
if [ -z "$docker_io" ] || [ "$docker_io" = "(none)" ]; then
  apt-get update -qq
  docker_io=$(docker_version)
fi
[ -n "$docker_io" ] && [ "$docker_io" != "(none)" ] ||
  { log "apt knows no docker.io package"; exit 1; }

base_hash=$(printf '%s\n' "$include" "$mirror" "docker.io=$docker_io" \
              "$(sed -n '/^# --- base ---$/,/^# --- end base ---$/p' "$0")" |
            sha256sum | cut -c1-12)
base=madre-base:bookworm-$base_hash
# --- base ---
if ! docker image inspect "$base" >/dev/null 2>&1; then
  log "making $base: debootstrap --variant=minbase bookworm from $mirror"
  log "  with $include"
  rootfs=$work/rootfs
  debootstrap --variant=minbase --include="$include" bookworm "$rootfs" "$mirror" \
    >"$work/debootstrap.log" 2>&1 || { tail -30 "$work/debootstrap.log" >&2; exit 1; }
  # docker.io's CLI only (its daemon, containerd and runc stay out).
  (cd "$work" && apt-get download -o APT::Sandbox::User=root "docker.io=$docker_io" >/dev/null)
  dpkg-deb --fsys-tarfile "$work"/docker.io_*.deb | tar -x -C "$rootfs" ./usr/bin/docker
  # What Debian's -slim images leave out.
  rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
         "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/lintian "$rootfs"/var/lib/apt/lists/* \
         "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
         "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/*
  : >"$rootfs/etc/hostname"
  : >"$rootfs/etc/resolv.conf"
  tar -C "$rootfs" --numeric-owner -c . |
    docker import -c 'CMD ["/bin/bash"]' -m "debootstrap --variant=minbase bookworm" - "$base" \
      >/dev/null
fi
# --- end base ---

version=$("$binary" --version 2>/dev/null | awk '{ print $NF; exit }')
version=${version:-dev}
ctx=$work/context
mkdir -p "$ctx"
objcopy --strip-debug "$binary" "$ctx/madre"
cp deploy/Dockerfile "$ctx/Dockerfile"
log "building madre:$version and madre:latest on $base"
docker build --build-arg "BASE=$base" -t "madre:$version" -t madre:latest "$ctx" \
  >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
size=$(docker image inspect madre:latest --format '{{.Size}}')
log "madre:latest ($version): $((size / 1000000)) MB"
