#!/usr/bin/env bash
# Installs Cairn's build and test dependencies from Debian packages.
# Idempotent and quiet when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libcurl4-openssl-dev libprotobuf-dev protobuf-compiler libsqlite3-dev sqlite3 curl
  libabsl-dev libzstd-dev zlib1g-dev libssl-dev openssl libboost-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
  # PostgreSQL store and its tests (a throwaway cluster per test run), nginx
  # as the load balancer of the scale-out test, clang for libFuzzer and the
  # sanitizer builds, lld to link those builds (a third of GNU ld's time).
  postgresql libpq-dev clang clang-format lld
  # libc++ for the libc++ check (ctest label libcxx): an app on cairn.hpp
  # built with clang++ -stdlib=libc++, and the SDK's sources compiled with it.
  libc++-dev libc++abi-dev
  # Headless browser of the dashboard test (ctest label browser).
  chromium
  # The Debian package test (ctest label package): CPack's dpkg-shlibdeps
  # and file, the maintainer scripts' adduser, systemd-analyze for the unit.
  dpkg-dev file adduser systemd
  # The Python bindings and their tests (ctypes, unittest, sqlite3).
  python3
)
# nginx-light is enough (upstream + proxy); fall back to nginx where a release
# no longer has it. Either one satisfies the need.
if ! [ -x /usr/sbin/nginx ]; then
  if apt-cache show nginx-light >/dev/null 2>&1; then packages+=(nginx-light); else packages+=(nginx); fi
fi

# The Node bindings' test (ctest label bindings): node, npm, and Node's headers
# with common.gypi for `node-gyp --nodedir=/usr` (Debian: libnode-dev).
# Checked by file, not by package name, so a Node installed another way (one
# that bundles npm and the headers) is left as it is.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
if ! [ -f /usr/include/node/node_api.h ] || ! [ -f /usr/include/node/common.gypi ]; then
  packages+=(libnode-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
