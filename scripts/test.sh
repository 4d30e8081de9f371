#!/usr/bin/env bash
# Builds everything and runs the whole test suite (the README's test command).
# Then, each in a build directory of its own with -j2, builds only the test
# binaries it runs: the unit and collector tests (SDK, consent, common and the
# collector, its process tests included) under ThreadSanitizer
# (CAIRN_SKIP_TSAN=1 skips it), and the unit, collector and e2e tests under
# AddressSanitizer with UBSan (CAIRN_SKIP_ASAN=1 skips it). Then builds the
# collector's libFuzzer targets with clang and runs each for a few seconds
# (CAIRN_SKIP_FUZZ=1 skips that). Each stage prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
build=${CAIRN_BUILD_DIR:-build}
jobs=$(nproc)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 300

# The test binaries behind the labels unit and collector, and those e2e adds.
unit_collector_targets=(sdk_tests consent_tests common_tests engagement_tests
  collector_unit_tests collector_store_tests collector_dashboard_tests
  collector_process_tests collector_faults_process_tests collector_ops_process_tests
  collector_engagement_e2e_tests collector_cairnctl_process_tests)
e2e_targets=(e2e_tests tls_tests)

# sanitizer_stage DIR OPTION LABELS TARGET...: configures DIR with OPTION=ON,
# builds the TARGETs with -j2 and runs the tests labelled LABELS (a ctest -L
# regex), two at a time. The sanitizer options in the environment apply.
sanitizer_stage() {
  local dir=$1 option=$2 labels=$3
  shift 3
  local started=$SECONDS
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "-D$option=ON" \
      -DCAIRN_BUILD_BENCH=OFF -DCAIRN_BUILD_SAMPLES=OFF >/dev/null
  cmake --build "$dir" -j 2 --target "$@"
  ctest --test-dir "$dir" --output-on-failure -j 2 --timeout 600 -L "$labels"
  echo "== $option stage took $((SECONDS - started)) s"
}

if [ "${CAIRN_SKIP_TSAN:-0}" != 1 ]; then
  echo "== ThreadSanitizer: unit and collector tests"
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    sanitizer_stage "$build-tsan" CAIRN_TSAN 'unit|collector' "${unit_collector_targets[@]}"
fi

if [ "${CAIRN_SKIP_ASAN:-0}" != 1 ]; then
  echo "== AddressSanitizer and UBSan: unit, collector and e2e tests"
  ASAN_OPTIONS="detect_leaks=1 abort_on_error=0" \
  UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1" \
    sanitizer_stage "$build-asan" CAIRN_ASAN 'unit|collector|e2e' \
        "${unit_collector_targets[@]}" "${e2e_targets[@]}"
fi

if [ "${CAIRN_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== libFuzzer: short runs of the collector's request decoding targets"
  CC=clang CXX=clang++ cmake -S . -B "$build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCAIRN_FUZZ=ON -DCAIRN_BUILD_BENCH=OFF -DCAIRN_BUILD_SAMPLES=OFF >/dev/null
  cmake --build "$build-fuzz" -j "$jobs" --target cairn_fuzz_all
  ctest --test-dir "$build-fuzz" --output-on-failure -j "$jobs" -L fuzz
fi
