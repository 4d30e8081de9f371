#!/usr/bin/env bash
# The README's test command, and CI's (.ci/run). Stages, each timed:
#   1. the formatting check (scripts/format.sh --check);
#   2. the product built with GCC, as users build it: libraries (libcairn.so
#      among them), collector, cairnctl and samples (not the benchmarks:
#      every default build compiles them; CI's time budget does not), with
#      warnings as errors; its C library's exports checked and its Python and
#      Node.js bindings tested, with an app on the C++ wrapper built by clang
#      against libc++ (ctest labels bindings, libcxx); then its
#      Debian packages built with CPack, checked, the collector's installed,
#      run as its systemd unit says and purged (ctest label package: needs
#      root or sudo); these tests run in the background during stage 3's
#      build, since they mostly wait on dpkg, systemd, npm and pip;
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
# Line tables only: a third less compile time than full debug info. The
# libraries (the SDK's and the collector's) as unity builds, as in the
# sanitizer builds (this stage took 287 s here one file per compile, 203 s
# with the collector's libraries so, 145 s with the SDK's too); the default
# build of a developer still compiles each file on its own, which is what
# catches a missing include. The benchmarks (36 s of this stage on two
# cores) are left to the default build too: no test runs them, and CI's
# limit is 25 minutes.
cmake -S . -B "$build-gcc" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_BUILD_TESTS=OFF \
    -DCAIRN_PACKAGE_TEST=ON -DCAIRN_BINDING_TESTS=ON -DCAIRN_UNITY_LIBRARIES=ON \
    -DCAIRN_BUILD_BENCH=OFF \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" >/dev/null
cmake --build "$build-gcc" -j "$jobs"
stage_done "GCC build"

# Background jobs: each runs in a process group of its own (set -m), so that
# stopping it stops every process it started; its output goes to
# $logs/NAME.log, shown when it fails.
rm -rf "$logs"
mkdir -p "$logs"
background_pids=()
stop_background() {
  local pid
  for pid in "${background_pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
}
trap stop_background EXIT
# start_background NAME NICENESS COMMAND...: runs COMMAND in the background.
start_background() {
  local name=$1 niceness=$2
  shift 2
  set -m
  (
    renice -n "$niceness" -p "$BASHPID" >/dev/null || true
    started=$SECONDS
    status=0
    "$@" >"$logs/$name.log" 2>&1 || status=$?
    echo $((SECONDS - started)) >"$logs/$name.seconds"
    echo "$status" >"$logs/$name.status"
  ) &
  background_pids+=($!)
  echo $! >"$logs/$name.pid"
  set +m
}
# wait_background NAME WHAT: waits for NAME; exits with its log's end if it
# failed.
wait_background() {
  local name=$1 what=$2
  while [ ! -f "$logs/$name.status" ]; do
    if ! kill -0 "$(cat "$logs/$name.pid")" 2>/dev/null && [ ! -f "$logs/$name.status" ]; then
      echo "== $what stopped without a status"
      exit 1
    fi
    sleep 2
  done
  if [ "$(cat "$logs/$name.status")" != 0 ]; then
    echo "== $what failed; the end of $logs/$name.log:"
    tail -n 80 "$logs/$name.log"
    exit 1
  fi
  echo "== $what took $(cat "$logs/$name.seconds") s, in the background"
}

# The product build's own tests wait on dpkg, systemd, npm and pip much of
# the time, so they run in the background while the ASan+UBSan build
# compiles.
product_tests() {
  echo "== Debian packages of the GCC build: contents, the collector's installed, run, purged"
  ctest --test-dir "$build-gcc" -L package --output-on-failure
  echo "== libcairn.so of the product build: its exports, the Python and Node.js bindings, a clang+libc++ app"
  # The shared library exports the C API and nothing else.
  if nm -D --defined-only "$build-gcc/sdk/src/capi/libcairn.so" | grep -v ' cairn_'; then
    echo "libcairn.so exports more than cairn_* (above)"
    return 1
  fi
  ctest --test-dir "$build-gcc" -L 'bindings|libcxx' --output-on-failure -j "$jobs"
}
start_background product 0 product_tests

# sanitizer_build DIR [CMAKE_OPTION...] -- [TARGET...]: configures DIR for
# clang at -O1 with line tables (the tests' own code at -O0, their common
# headers precompiled, the libraries as unity builds, linked by
# lld) and the given options, then builds the TARGETs (all of DIR's targets
# when none is named).
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
      -DCAIRN_UNITY_LIBRARIES=ON \
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
wait_background product "the C library, its bindings and the Debian packages"

# The ThreadSanitizer build starts now, in the background, at the lowest
# priority: it takes the CPU the suite leaves idle.
if [ "$run_tsan" = 1 ]; then
  # The binaries labelled unit whose code runs threads, and the ops process
  # tests. Left out, as single-threaded: the engagement formulas, the
  # cairnctl formatting and dashboard assets, the admin JSON mapping (their
  # tests run under ASan+UBSan above); a binary not built adds no test to
  # the label runs below.
  start_background tsan 19 sanitizer_build "$build-tsan" -DCAIRN_TSAN=ON -- sdk_tests consent_tests \
      common_tests platform_tests capi_tests cairn-wrapper-app wrapper_header_tests \
      collector_unit_tests collector_ops_process_tests
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
  wait_background tsan "the ThreadSanitizer build"
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
