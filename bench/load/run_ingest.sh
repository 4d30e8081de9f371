#!/usr/bin/env bash
# Collector ingest benchmark: builds cairn-collector, cairn-load and
# cairn-store-raw-bench, measures the raw batched insert rate of the stores,
# then for each cell of the matrix (batch 100/500 x connections 32/512)
# starts a fresh cairn-collector (SQLite, in a temp dir, 127.0.0.1, free
# port), drives it with cairn-load and stops it. Prints a table with the raw
# store rate next to it, and keeps every output under OUT_DIR.
#
# usage: bench/load/run_ingest.sh [--pg] [--no-build] [BUILD_DIR]
#   --pg        also start a throwaway PostgreSQL (durable settings) and
#               print its raw rates (COPY+upsert, multi-row INSERT, binary
#               COPY into the store's own table: the PostgreSQL reference), and run
#               the matrix again with the collector on PostgreSQL
#               (--db=postgresql://..., its own throwaway durable cluster,
#               a fresh database per cell)
#   --no-build  use the binaries already in BUILD_DIR
#   BUILD_DIR   default: build
# Environment: EVENTS (default 200000) load events per cell; USERS (1000);
#   RAW_ROWS (default 200000) rows per raw-store run; RAW_LARGE_BATCH (5000)
#   the larger SQLite transaction size also measured; COLLECTOR_FLAGS extra
#   cairn-collector flags (e.g. --pg-writers=1); SKIP_SQLITE=1 runs only the
#   PostgreSQL matrix (with --pg); OUT_DIR (default
#   BUILD_DIR/bench-results/ingest-<timestamp>).
#
# Loopback only; every process it starts is stopped on exit. Not run by
# ctest: it measures, it asserts nothing about speed. Exit status 1 if a cell
# lost events or a raw run stored the wrong number of rows.
set -euo pipefail

# shellcheck source=../pg_server.sh
source "$(dirname "$0")/../pg_server.sh"
bench_args "$@"
events=${EVENTS:-200000}
users=${USERS:-1000}
raw_rows=${RAW_ROWS:-200000}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT_DIR:-$build/bench-results/ingest-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"

if ((build_it)); then
  [ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j2 --target cairn-collector cairn-load cairn-store-raw-bench >/dev/null
fi
collector=$build/collector/cairn-collector
load=$build/bench/load/cairn-load
raw=$build/bench/load/cairn-store-raw-bench

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-ingest-XXXXXX")
collector_pid=""
cleanup() {
  if [ -n "$collector_pid" ]; then kill "$collector_pid" 2>/dev/null || true; wait "$collector_pid" 2>/dev/null || true; fi
  stop_pg
  rm -rf "$work"
}
trap cleanup EXIT

key=bench-write-key-$RANDOM$RANDOM
status=0

{
  echo "date:     $(date -u +%FT%TZ)"
  echo "commit:   $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "machine:  $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "events:   $events per cell, $users users; raw rows: $raw_rows"
} | tee "$out/info.txt"

echo
echo "== raw store rates (500-row transactions) =="
raw_flags=(--rows="$raw_rows" --batch-rows=500 --sqlite-dir="$work/raw")
((pg)) && raw_flags+=(--pg-throwaway)
"$raw" "${raw_flags[@]}" | tee "$out/raw.txt" || status=1
# The collector commits many requests per transaction (up to 20,000 events),
# so SQLite is measured at larger transactions too.
echo "-- SQLite again with ${RAW_LARGE_BATCH:-5000}-row transactions"
"$raw" --rows="$raw_rows" --batch-rows="${RAW_LARGE_BATCH:-5000}" --sqlite-dir="$work/raw-large" |
  tee "$out/raw-large.txt" || status=1
raw_rate() { grep "\"cairn_store_raw\":\"$1\"" "$out/raw.txt" | sed 's/.*"rows_per_s":\([0-9]*\).*/\1/'; }
# The unique time-ordered key alone (sqlite_key_only), at 500-row
# transactions: the physical limit the SQLite ingest is measured against.
raw_sqlite=$(raw_rate sqlite_key_only)
raw_pg=$(raw_rate pg_copy_binary || true)  # empty without --pg: the store's own table and binary COPY

# Starts a collector on a fresh database; sets collector_pid and port.
start_collector() {
  local db=$1
  : >"$work/collector.out"
  # shellcheck disable=SC2086 # COLLECTOR_FLAGS is a list of flags
  "$collector" --listen=127.0.0.1:0 --db="$db" --write-key="$key" ${COLLECTOR_FLAGS:-} \
    >"$work/collector.out" 2>>"$out/collector.log" &
  collector_pid=$!
  local i
  for ((i = 0; i < 400; i++)); do
    if grep -q "listening on" "$work/collector.out"; then
      port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$work/collector.out")
      return
    fi
    kill -0 "$collector_pid" 2>/dev/null || { echo "collector exited at start" >&2; exit 1; }
    sleep 0.05
  done
  echo "collector did not start in 20 s" >&2
  exit 1
}

stop_collector() {
  kill -TERM "$collector_pid"
  wait "$collector_pid" || true
  collector_pid=""
}


stores=(sqlite)
if [ "${SKIP_SQLITE:-0}" = 1 ]; then stores=(); fi
if ((pg)); then
  start_pg
  stores+=(pg)
fi
expected=$((events + 2 * users))
for store in "${stores[@]}"; do
  echo
  echo "== ingest into cairn-collector ($store), zstd batches =="
  for batch in 100 500; do
    for conns in 32 512; do
      label="$store-b$batch-c$conns"
      if [ "$store" = sqlite ]; then
        rm -rf "$work/db" && mkdir -p "$work/db"
        db="$work/db/events.db"
      else
        dbname="cell_b${batch}_c${conns}"
        psql_pg -d postgres -c "CREATE DATABASE $dbname" >/dev/null
        db="postgresql://cairn@127.0.0.1:$pg_port/$dbname"
      fi
      start_collector "$db"
      echo "-- $label"
      "$load" --url="http://127.0.0.1:$port" --write-key="$key" --connections="$conns" \
        --batch-events="$batch" --total-events="$events" --users="$users" --label="$label" \
        | tee -a "$out/load.txt" || status=1
      stop_collector
      if [ "$store" = sqlite ]; then
        stored=$(sqlite3 "$db" "SELECT count(*) FROM events" 2>/dev/null || echo "?")
      else
        stored=$(psql_pg -d "$dbname" -c "SELECT count(*) FROM events" 2>/dev/null || echo "?")
      fi
      echo "   stored rows: $stored (expected $expected: load + consent grants)"
      [ "$stored" = "$expected" ] || status=1
    done
  done
done

echo
echo "== summary =="
printf "%-18s %6s %6s %12s %9s %9s %9s %8s\n" store batch conns "events/s" "p50 ms" "p99 ms" "max ms" "vs raw"
grep '^{"cairn_load"' "$out/load.txt" | while read -r line; do
  get() { echo "$line" | sed "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/"; }
  rate=$(get events_per_s)
  ratio="-"
  base=$raw_sqlite
  case "$(get label)" in pg-*) base=$raw_pg ;; esac
  [ -n "$base" ] && [ "$base" -gt 0 ] && ratio=$(awk -v a="$rate" -v b="$base" 'BEGIN{printf "%.2f", a/b}')
  printf "%-18s %6s %6s %12s %9s %9s %9s %8s\n" "$(get label)" "$(get batch_events)" \
    "$(get connections)" "$rate" "$(get p50_ms)" "$(get p99_ms)" "$(get max_ms)" "$ratio"
done | tee "$out/summary.txt"
echo "vs raw: events/s over sqlite_key_only (${raw_sqlite:-?} rows/s) or pg_copy_binary (${raw_pg:-?} rows/s) at 500-row transactions." | tee -a "$out/summary.txt"
echo "raw store rates measured in this run (WAL, synchronous=FULL for SQLite):" | tee -a "$out/summary.txt"
grep -h '^[a-z_]* *[0-9]* rows in' "$out/raw.txt" "$out/raw-large.txt" | tee -a "$out/summary.txt"
echo "outputs: $out"
exit $status
