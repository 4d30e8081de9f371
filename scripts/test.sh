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
# Time on two cores: the sanitizer builds run in the background at the
# lowest CPU priority while the suite runs (its process tests leave the CPU
# idle much of the time), and they build with clang at -O1 with line tables
# only: for this code GCC's ASan+UBSan build costs about five times the CPU
# of a plain build, clang's about the same as the plain one. Their build
# output goes to $build-logs/ and is shown when a build fails.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
jobs=$(nproc)
build=${CAIRN_BUILD_DIR:-build}
run_tsan=$([ "${CAIRN_SKIP_TSAN:-0}" = 1 ] && echo 0 || echo 1)
run_asan=$([ "${CAIRN_SKIP_ASAN:-0}" = 1 ] && echo 0 || echo 1)
logs=$build-logs
total_started=$SECONDS
stage_started=$SECONDS
stage_done() {
  echo "== $1 took $((SECONDS - stage_started)) s"
  stage_started=$SECONDS
}

./scripts/format.sh --check
stage_done "formatting check"

echo "== GCC build"
# Line tables only: a third less compile time than full debug info, and
# all a failing test's stack needs.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" >/dev/null
cmake --build "$build" -j "$jobs"
stage_done "GCC build"

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
      -DCAIRN_BUILD_BENCH=OFF -DCAIRN_BUILD_SAMPLES=OFF "${options[@]}" || return 1
  if [ $# -gt 0 ]; then
    cmake --build "$dir" -j "$jobs" --target "$@"
  else
    cmake --build "$dir" -j "$jobs"
  fi
}
# background_build NAME ARGS...: sanitizer_build ARGS into $logs/NAME.log,
# then its exit status into $logs/NAME.status and the seconds it took into
# $logs/NAME.seconds.
background_build() {
  local name=$1 started=$SECONDS status=0
  shift
  sanitizer_build "$@" >"$logs/$name.log" 2>&1 || status=$?
  echo $((SECONDS - started)) >"$logs/$name.seconds"
  echo "$status" >"$logs/$name.status"
}
# wait_for_build NAME: waits for background_build NAME; shows its log's end
# and fails when the build failed.
wait_for_build() {
  local name=$1
  while [ ! -f "$logs/$name.status" ]; do
    if ! kill -0 "$background_pid" 2>/dev/null; then
      echo "== the background builds stopped before the $name build ended"
      exit 1
    fi
    sleep 2
  done
  if [ "$(cat "$logs/$name.status")" != 0 ]; then
    echo "== the $name build failed; the end of $logs/$name.log:"
    tail -n 60 "$logs/$name.log"
    exit 1
  fi
  echo "== the $name build took $(cat "$logs/$name.seconds") s (in the background)"
}
sanitizer_ctest() {
  local dir=$1
  shift
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600 "$@"
}

rm -rf "$logs"
mkdir -p "$logs"
background_pid=""
stop_background() {
  if [ -n "$background_pid" ]; then
    kill -TERM -- "-$background_pid" 2>/dev/null || true
  fi
}
trap stop_background EXIT
# A process group of its own (set -m), so that stopping it stops every
# compiler it started.
set -m
(
  renice -n 19 -p "$BASHPID" >/dev/null || true
  if [ "$run_tsan" = 1 ]; then
    # Every binary labelled unit but not store, and the ops process tests.
    background_build tsan "$build-tsan" -DCAIRN_TSAN=ON -- sdk_tests consent_tests \
        common_tests engagement_tests collector_unit_tests collector_dashboard_tests \
        collector_admin_json_tests collector_ops_process_tests
  fi
  if [ "$run_asan" = 1 ]; then
    # CAIRN_FUZZ builds everything with ASan and UBSan, and the fuzz targets.
    background_build asan "$build-asan" -DCAIRN_FUZZ=ON --
  fi
) &
background_pid=$!
set +m

echo "== the whole suite (sanitizer builds in the background)"
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 300
stage_done "whole suite"

if [ "$run_tsan" = 1 ]; then
  wait_for_build tsan
  echo "== ThreadSanitizer: unit tests, the collector's unit suites, key reload under load"
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
  # The store suites talk to PostgreSQL through libpq, which is not built
  # with TSan: they run under ASan+UBSan below instead.
  sanitizer_ctest "$build-tsan" -L unit -LE store
  # The collector's unit suites (their binary is labelled collector), and the
  # collector binary itself built with TSan, its key files reloaded while
  # requests are checked.
  sanitizer_ctest "$build-tsan" -R "^Collector(BatchDecoder|BatchWriter|DecodeBounds|CustomerLink|WriteKeySetRace|JsonDecode|AttributeLimits|RateLimiter|WriteKeySet|KeyReloader|FlagArgs|Metrics|RequestHandler|HttpTypes|AdminApi|RouteTable|SummaryFormat)Test\\.|RevokedKeyGets401AfterSighup|FlagFileConfigures"
  unset TSAN_OPTIONS
  stage_done "ThreadSanitizer stage (after its build)"
fi

if [ "$run_asan" = 1 ]; then
  wait_for_build asan
  echo "== AddressSanitizer and UBSan: unit, collector and end-to-end tests; libFuzzer runs"
  export ASAN_OPTIONS="detect_leaks=1 abort_on_error=0 strict_string_checks=1"
  export UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1"
  sanitizer_ctest "$build-asan" -L "unit|collector|e2e"
  sanitizer_ctest "$build-asan" -L fuzz
  unset ASAN_OPTIONS UBSAN_OPTIONS
  stage_done "AddressSanitizer and UBSan stage (after its build)"
fi
wait "$background_pid" || true
background_pid=""
echo "== all stages passed in $((SECONDS - total_started)) s"
