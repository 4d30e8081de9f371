#!/usr/bin/env bash
# Builds everything and runs the whole test suite (the README's test command),
# then builds the SDK and its tests with ThreadSanitizer and runs them again.
# CAIRN_SKIP_TSAN=1 skips the second part. Then builds the collector's
# libFuzzer targets with clang and runs each for a few seconds
# (CAIRN_SKIP_FUZZ=1 skips that).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
build=${CAIRN_BUILD_DIR:-build}
jobs=$(nproc)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 300

if [ "${CAIRN_SKIP_TSAN:-0}" != 1 ]; then
  echo "== ThreadSanitizer: SDK, consent and common unit tests"
  cmake -S . -B "$build-tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_TSAN=ON \
      -DCAIRN_BUILD_COLLECTOR=OFF -DCAIRN_BUILD_BENCH=OFF -DCAIRN_BUILD_SAMPLES=OFF >/dev/null
  cmake --build "$build-tsan" -j "$jobs" --target sdk_tests consent_tests common_tests
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    ctest --test-dir "$build-tsan" --output-on-failure -j "$jobs" --timeout 300 -L unit
fi

if [ "${CAIRN_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== libFuzzer: short runs of the collector's request decoding targets"
  CC=clang CXX=clang++ cmake -S . -B "$build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCAIRN_FUZZ=ON -DCAIRN_BUILD_BENCH=OFF -DCAIRN_BUILD_SAMPLES=OFF >/dev/null
  cmake --build "$build-fuzz" -j "$jobs" --target cairn_fuzz_all
  ctest --test-dir "$build-fuzz" --output-on-failure -j "$jobs" -L fuzz
fi
