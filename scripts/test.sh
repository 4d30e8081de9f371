#!/usr/bin/env bash
# The README's test command, and CI's (.ci/run). Stages, each timed:
#   1. the formatting check (scripts/format.sh --check);
#   2. everything built with GCC, and the whole suite;
#   3. ThreadSanitizer (clang): the unit tests and the collector's unit suites,
#      and the collector binary with its key files reloaded under load;
#   4. AddressSanitizer with UBSan (clang): the unit, collector and end-to-end
#      tests, then short libFuzzer runs of the collector's request decoding
#      from the same build (its code is instrumented for the fuzzers as well).
# CAIRN_SKIP_TSAN=1 skips stage 3, CAIRN_SKIP_ASAN=1 stage 4.
#
# The sanitizer stages build with clang at -O1 and line tables only: for this
# code GCC's ASan+UBSan build costs about five times the plain build's CPU,
# clang's about the same as the plain one, which is what keeps the whole run
# within CI's budget on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
jobs=$(nproc)
build=${CAIRN_BUILD_DIR:-build}

stage_started=$SECONDS
stage_done() {
  echo "== $1 took $((SECONDS - stage_started)) s"
  stage_started=$SECONDS
}

./scripts/format.sh --check
stage_done "formatting check"

echo "== GCC build and the whole suite"
# Line tables only: a third less compile time than full debug info, and
# all a failing test's stack needs.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" >/dev/null
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 300
stage_done "GCC build and suite"

# sanitizer_build DIR [CMAKE_OPTION...] -- [TARGET...]: configures DIR for
# clang with the given options, no benchmarks and no samples, then builds
# the TARGETs (all of DIR's targets when none is named).
sanitizer_build() {
  local dir=$1
  shift
  local options=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    options+=("$1")
    shift
  done
  [ $# -gt 0 ] && shift
  CC=clang CXX=clang++ cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1" \
      -DCAIRN_BUILD_BENCH=OFF -DCAIRN_BUILD_SAMPLES=OFF "${options[@]}" >/dev/null
  if [ $# -gt 0 ]; then
    cmake --build "$dir" -j "$jobs" --target "$@"
  else
    cmake --build "$dir" -j "$jobs"
  fi
}
sanitizer_ctest() {
  local dir=$1
  shift
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600 "$@"
}

if [ "${CAIRN_SKIP_TSAN:-0}" != 1 ]; then
  echo "== ThreadSanitizer: unit tests, the collector's unit suites, key reload under load"
  sanitizer_build "$build-tsan" -DCAIRN_TSAN=ON -- sdk_tests consent_tests common_tests \
      engagement_tests collector_unit_tests collector_dashboard_tests collector_admin_json_tests \
      collector_ops_process_tests
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
  # The store suites talk to PostgreSQL through libpq, which is not built
  # with TSan: they run under ASan+UBSan below instead.
  sanitizer_ctest "$build-tsan" -L unit -LE store
  # The collector's unit suites (their binary is labelled collector), and the
  # collector binary itself built with TSan, its key files reloaded while
  # requests are checked.
  sanitizer_ctest "$build-tsan" -R "^Collector(BatchDecoder|BatchWriter|DecodeBounds|CustomerLink|WriteKeySetRace|JsonDecode|AttributeLimits|RateLimiter|WriteKeySet|KeyReloader|FlagArgs|Metrics|RequestHandler|HttpTypes|AdminApi|RouteTable|SummaryFormat)Test\\.|RevokedKeyGets401AfterSighup|FlagFileConfigures"
  unset TSAN_OPTIONS
  stage_done "ThreadSanitizer stage"
fi

if [ "${CAIRN_SKIP_ASAN:-0}" != 1 ]; then
  echo "== AddressSanitizer and UBSan: unit, collector and end-to-end tests; libFuzzer runs"
  # CAIRN_FUZZ builds everything with ASan and UBSan and adds the fuzz targets.
  sanitizer_build "$build-asan" -DCAIRN_FUZZ=ON --
  export ASAN_OPTIONS="detect_leaks=1 abort_on_error=0 strict_string_checks=1"
  export UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1"
  sanitizer_ctest "$build-asan" -L "unit|collector|e2e"
  sanitizer_ctest "$build-asan" -L fuzz
  unset ASAN_OPTIONS UBSAN_OPTIONS
  stage_done "AddressSanitizer and UBSan stage"
fi
