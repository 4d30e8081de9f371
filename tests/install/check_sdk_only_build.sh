#!/usr/bin/env bash
# usage: check_sdk_only_build.sh SOURCE_DIR CMAKE CXX [LAUNCHER]
# Configures and builds a fresh build directory of the SDK alone
# (-DCAIRN_BUILD_COLLECTOR=OFF, no tests, benchmarks or samples), checks that
# the collector's dependencies were never looked for, then installs its sdk
# component and builds the outside project against it (check_install.sh).
set -euo pipefail
source=$1 cmake=$2 cxx=$3 launcher=${4:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-sdk-only.XXXXXX")
trap 'rm -rf "$work"' EXIT
# -O1 without debug info, as a unity build (several sources a compile; the
# generated protobuf code stays one file a unit): this checks what is built
# and linked, and costs the least compile time (about a quarter of the CPU
# of one file a compile).
if ! "$cmake" -S "$source" -B "$work/build" -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG" -DCAIRN_UNITY_LIBRARIES=ON \
    -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher" -DCAIRN_BUILD_COLLECTOR=OFF \
    -DCAIRN_BUILD_TESTS=OFF -DCAIRN_BUILD_BENCH=OFF -DCAIRN_BUILD_SAMPLES=OFF \
    >"$work/configure.log" 2>&1; then
  cat "$work/configure.log" >&2
  exit 1
fi
# find_package leaves a cache entry for each package it looked for.
if grep -E '^(PostgreSQL|Boost|CLI11|GTest|benchmark)_' "$work/build/CMakeCache.txt"; then
  echo "the SDK-only build looked for a dependency of the collector, tests or benchmarks (above)" >&2
  exit 1
fi
started=$SECONDS
if ! "$cmake" --build "$work/build" -j 2 >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  exit 1
fi
echo "SDK-only build: $((SECONDS - started)) s"
if find "$work/build" -name 'cairn-collector' -o -name 'cairnctl' -o -name 'libcairn_engagement.a' \
    -o -name 'libcairn_admin_proto.a' | grep .; then
  echo "the SDK-only build built more than the SDK (above)" >&2
  exit 1
fi
"$(dirname "$0")/check_install.sh" "$work/build" "$source/tests/install/consumer" "$cmake" "$cxx"
