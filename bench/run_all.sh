#!/usr/bin/env bash
# Runs every Cairn benchmark the way docs/performance.md reports them, and
# keeps the raw output. Build first, e.g.:
#
#   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   make -C build-bench -j2 record_bench durable_bench cairn-e2e-bench
#   bench/run_all.sh build-bench
#
# usage: bench/run_all.sh [BUILD_DIR [OUT_DIR]]
#   BUILD_DIR  default: build
#   OUT_DIR    default: BUILD_DIR/bench-results/<timestamp>
# Environment: REPS (default 3) repetitions of each benchmark;
#   E2E_EVENTS (default 1000000); IDLE_WAIT_S (default 600) how long to wait
#   for a quiet machine before each program (0: do not wait).
#
# Noise: the machine is shared, so before each program the script waits
# until the CPUs have been at least 85% idle for 2 s (or IDLE_WAIT_S passed,
# which it then says), and every figure is the median of REPS runs.
set -euo pipefail

build=${1:-build}
out=${2:-$build/bench-results/$(date +%Y%m%d-%H%M%S)}
reps=${REPS:-3}
events=${E2E_EVENTS:-1000000}
idle_wait=${IDLE_WAIT_S:-600}
bin=$build/bench
mkdir -p "$out"

# Percentage of CPU time spent idle over the next 2 seconds, all CPUs.
idle_percent() {
  local a b
  read -r -a a < <(grep '^cpu ' /proc/stat)
  sleep 2
  read -r -a b < <(grep '^cpu ' /proc/stat)
  local total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  local idle=$(((b[4] - a[4]) + (b[5] - a[5])))
  echo $((total > 0 ? 100 * idle / total : 100))
}

wait_for_quiet() {
  local start=$SECONDS idle
  while true; do
    idle=$(idle_percent)
    if ((idle >= 85)); then
      echo "[run_all] machine ${idle}% idle: running $1" | tee -a "$out/log.txt"
      return
    fi
    if ((SECONDS - start >= idle_wait)); then
      echo "[run_all] WARNING: machine only ${idle}% idle after ${idle_wait}s: running $1 anyway" |
        tee -a "$out/log.txt"
      return
    fi
    sleep 5
  done
}

{
  echo "date:      $(date -u +%FT%TZ)"
  echo "commit:    $(git -C "$(dirname "$0")/.." rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "dirty:     $(git -C "$(dirname "$0")/.." status --porcelain -- sdk common 2>/dev/null | wc -l) changed files under sdk/ common/"
  echo "build:     $(grep -E '^CMAKE_BUILD_TYPE:' "$build/CMakeCache.txt" | cut -d= -f2)"
  echo "cpus:      $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
  echo "kernel:    $(uname -r)"
  echo "tmp:       $(df -T "${TMPDIR:-/tmp}" | awk 'NR==2 {print $2}') (${TMPDIR:-/tmp})"
  echo "reps:      $reps"
} | tee "$out/context.txt"

wait_for_quiet record_bench
"$bin/record_bench" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/record_bench.json" --benchmark_out_format=json 2>&1 |
  tee "$out/record_bench.txt"

wait_for_quiet durable_bench
"$bin/durable_bench" --benchmark_repetitions="$reps" \
  --benchmark_out="$out/durable_bench.json" --benchmark_out_format=json 2>&1 |
  tee "$out/durable_bench.txt"

for i in $(seq 1 "$reps"); do
  wait_for_quiet "cairn-e2e-bench run $i"
  "$bin/cairn-e2e-bench" --events="$events" 2>"$out/e2e_$i.stderr" | tee "$out/e2e_$i.txt"
done

median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
{
  echo "end to end, median of $reps runs of $events events:"
  echo "  wall time (s):   $(grep -h 'WALL TIME' "$out"/e2e_*.txt | awk '{print $(NF-1)}' | median)"
  echo "  events/s:        $(grep -h 'EVENTS/S' "$out"/e2e_*.txt | awk '{print $NF}' | median)"
  echo "  peak RSS (MB):   $(grep -h 'PEAK RSS' "$out"/e2e_*.txt | awk '{print $6}' | median)"
  echo "  SDK overhead MB: $(grep -h 'SDK overhead' "$out"/e2e_*.txt | awk '{print $(NF-1)}' | median)"
  echo "  results:         $(grep -h '^RESULT' "$out"/e2e_*.txt | sort | uniq -c | xargs)"
} | tee "$out/e2e_summary.txt"
echo "[run_all] raw output in $out"
