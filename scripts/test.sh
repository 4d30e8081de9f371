#!/usr/bin/env bash
# The README's test command, and CI's (.ci/run). Stages, each timed:
#   1. the formatting check (scripts/format.sh --check);
#   2. the product built with GCC, as users build it: libraries (libcairn.so
#      among them), collector, cairnctl, samples and benchmarks, with
#      warnings as errors; its C library's exports checked and its Python and
#      Node.js bindings tested, with an app on the C++ wrapper built by clang
#      against libc++ (ctest labels bindings, libcxx); then its
#      Debian packages built with CPack, checked, the collector's installed,
#      run as its systemd unit says and purged (ctest label package: needs
#      root or sudo);
#   3. the whole suite (unit, collector, end-to-end, PostgreSQL, browser,
#      install) built with clang under AddressSanitizer and UBSan, then short
#      libFuzzer runs of the collector's request decoding from the same build
#      (its code is instrumented for the fuzzers as well);
#   4. ThreadSanitizer (clang): the unit tests and the collector's unit suites,
#      and the collector binary with its key files reloaded under load.
# CAIRN_SKIP_TSAN=1 skips stage 4.
#
# Time on two cores: the ThreadSanitizer build runs in the background at the
# lowest CPU priority while the suite runs (its process tests leave the CPU
# idle much of the time), and the sanitizer builds use clang at -O1 with
# line tables only: for this code GCC's ASan+UBSan build costs about five
# times the CPU of a plain build, clang's about the same as the plain one.
# Each build is made once: the suite runs in the sanitized build only.
# Background build output goes to $build-logs/ and is shown when it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
jobs=$(nproc)
build=${CAIRN_BUILD_DIR:-build}
run_tsan=$([ "${CAIRN_SKIP_TSAN:-0}" = 1 ] && echo 0 || echo 1)
logs=$build-logs
total_started=$SECONDS
stage_started=$SECONDS
stage_done() {
  echo "== $1 took $((SECONDS - stage_started)) s"
  stage_started=$SECONDS
}

./scripts/format.sh --check
stage_done "formatting check"

echo "== GCC build of the product (no tests)"
# Line tables only: a third less compile time than full debug info.
cmake -S . -B "$build-gcc" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_BUILD_TESTS=OFF \
    -DCAIRN_PACKAGE_TEST=ON -DCAIRN_BINDING_TESTS=ON \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" >/dev/null
cmake --build "$build-gcc" -j "$jobs"
stage_done "GCC build"

echo "== Debian packages of the GCC build: contents, the collector's installed, run, purged"
ctest --test-dir "$build-gcc" -L package --output-on-failure
stage_done "Debian packages"

echo "== libcairn.so of the product build: its exports, the Python and Node.js bindings, a clang+libc++ app"
# The shared library exports the C API and nothing else.
if nm -D --defined-only "$build-gcc/sdk/src/capi/libcairn.so" | grep -v ' cairn_'; then
  echo "libcairn.so exports more than cairn_* (above)"
  exit 1
fi
ctest --test-dir "$build-gcc" -L 'bindings|libcxx' --output-on-failure -j "$jobs"
stage_done "the C library and its bindings"

# sanitizer_build DIR [CMAKE_OPTION...] -- [TARGET...]: configures DIR for
# clang at -O1 with line tables (the tests' own code at -O0, their common
# headers precompiled, linked by lld) and the given options, then builds the
# TARGETs (all of DIR's targets when none is named).
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
      -DCAIRN_BUILD_BENCH=OFF -DCAIRN_BUILD_SAMPLES=OFF -DCAIRN_TESTS_O0=ON -DCAIRN_TEST_PCH=ON \
      -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld "${options[@]}" \
      >/dev/null || return 1
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

echo "== clang build with AddressSanitizer and UBSan: every test, and the fuzz targets"
# CAIRN_FUZZ builds everything with ASan and UBSan, and the fuzz targets.
sanitizer_build "$build-asan" -DCAIRN_FUZZ=ON --
stage_done "ASan+UBSan build"

# The ThreadSanitizer build starts now, in the background, at the lowest
# priority: it takes the CPU the suite leaves idle. In a process group of its
# own (set -m), so that stopping it stops every compiler it started.
rm -rf "$logs"
mkdir -p "$logs"
background_pid=""
stop_background() {
  if [ -n "$background_pid" ]; then
    kill -TERM -- "-$background_pid" 2>/dev/null || true
  fi
}
trap stop_background EXIT
if [ "$run_tsan" = 1 ]; then
  set -m
  (
    renice -n 19 -p "$BASHPID" >/dev/null || true
    started=$SECONDS
    status=0
    # Every binary labelled unit but not store, and the ops process tests.
    sanitizer_build "$build-tsan" -DCAIRN_TSAN=ON -- sdk_tests consent_tests common_tests \
        platform_tests capi_tests cairn-wrapper-app wrapper_header_tests engagement_tests collector_unit_tests collector_dashboard_tests \
        collector_admin_json_tests collector_ops_process_tests >"$logs/tsan.log" 2>&1 ||
      status=$?
    echo $((SECONDS - started)) >"$logs/tsan.seconds"
    echo "$status" >"$logs/tsan.status"
  ) &
  background_pid=$!
  set +m
fi

echo "== the whole suite under AddressSanitizer and UBSan, then libFuzzer runs"
export ASAN_OPTIONS="detect_leaks=1 abort_on_error=0 strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1"
# The bindings ran against the product's libcairn.so above; the C API's own
# suites run here, under the sanitizers.
sanitizer_ctest "$build-asan" -LE 'fuzz|bindings|libcxx'
sanitizer_ctest "$build-asan" -L fuzz
unset ASAN_OPTIONS UBSAN_OPTIONS
stage_done "the whole suite and the fuzz runs"

if [ "$run_tsan" = 1 ]; then
  while [ ! -f "$logs/tsan.status" ]; do
    if ! kill -0 "$background_pid" 2>/dev/null; then
      echo "== the ThreadSanitizer build stopped without a status"
      exit 1
    fi
    sleep 2
  done
  if [ "$(cat "$logs/tsan.status")" != 0 ]; then
    echo "== the ThreadSanitizer build failed; the end of $logs/tsan.log:"
    tail -n 60 "$logs/tsan.log"
    exit 1
  fi
  background_pid=""
  echo "== the ThreadSanitizer build took $(cat "$logs/tsan.seconds") s, mostly in the background"
  echo "== ThreadSanitizer: unit tests, the collector's unit suites, key reload under load"
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
  # The store suites talk to PostgreSQL through libpq, which is not built
  # with TSan: they run under ASan+UBSan above instead.
  sanitizer_ctest "$build-tsan" -L unit -LE store
  # The collector's unit suites (their binary is labelled collector), and the
  # collector binary itself built with TSan, its key files reloaded while
  # requests are checked.
  sanitizer_ctest "$build-tsan" -R "^Collector(BatchDecoder|BatchWriter|DecodeBounds|CustomerLink|WriteKeySetRace|JsonDecode|AttributeLimits|RateLimiter|WriteKeySet|KeyReloader|FlagArgs|Metrics|RequestHandler|HttpTypes|AdminApi|RouteTable|SummaryFormat)Test\\.|RevokedKeyGets401AfterSighup|FlagFileConfigures"
  unset TSAN_OPTIONS
  stage_done "ThreadSanitizer stage (after the suite)"
fi
echo "== all stages passed in $((SECONDS - total_started)) s"
