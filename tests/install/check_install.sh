#!/usr/bin/env bash
# usage: check_install.sh BUILD_DIR CONSUMER_SOURCE_DIR CMAKE CXX [SANITIZE_FLAGS]
# CXX and SANITIZE_FLAGS are the build's: a sanitized library links only
# into a program built with the same sanitizers.
set -euo pipefail
build=$1 consumer=$2 cmake=$3 cxx=$4 sanitize=${5:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The sdk component only: what an app's developer installs.
"$cmake" --install "$build" --component sdk --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/lib/cmake/Cairn/CairnConfig.cmake"
test -f "$work/prefix/include/cairn/client.h"
test -f "$work/prefix/share/doc/cairn-sdk/sdk.md"
# Nothing of the collector: no programs, no config, no unit.
for collector_file in bin etc lib/systemd share/doc/cairn-collector; do
  if [ -e "$work/prefix/$collector_file" ]; then
    echo "collector file in the SDK install: $collector_file" >&2
    exit 1
  fi
done
# Only public headers: none of the internals shared by SDK and collector.
for internal in common/sqlite.h common/json_value.h common/strings.h common/http_client.h \
                common/crypto.h consent/consent_log.h collector; do
  if [ -e "$work/prefix/include/cairn/$internal" ]; then
    echo "internal header installed: include/cairn/$internal" >&2
    exit 1
  fi
done
"$cmake" -S "$consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$sanitize" \
    -DCMAKE_EXE_LINKER_FLAGS="$sanitize" >/dev/null
"$cmake" --build "$work/build" -j 2 >/dev/null
"$work/build/consumer" "$work/data"
