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
  # as the load balancer of the scale-out test, clang for libFuzzer.
  postgresql libpq-dev clang clang-format
  # libc++ for the libc++ check (ctest label libcxx): an app on cairn.hpp
  # built with clang++ -stdlib=libc++, and the SDK's sources compiled with it.
  libc++-dev libc++abi-dev
  # Headless browser of the dashboard test (ctest label browser).
  chromium
  # The Debian package test (ctest label package): CPack's dpkg-shlibdeps
  # and file, the maintainer scripts' adduser, systemd-analyze for the unit.
  dpkg-dev file adduser systemd
)
# nginx-light is enough (upstream + proxy); fall back to nginx where a release
# no longer has it. Either one satisfies the need.
if ! [ -x /usr/sbin/nginx ]; then
  if apt-cache show nginx-light >/dev/null 2>&1; then packages+=(nginx-light); else packages+=(nginx); fi
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
