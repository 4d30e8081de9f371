#!/usr/bin/env bash
# Customer success at scale on both stores: builds cs_scale_bench, runs it
# on a SQLite file in a temp dir, and with --pg again on a throwaway
# PostgreSQL server (bench/pg_server.sh). Prints each run's figures against
# the targets (pages < 200 ms, renewals < 500 ms, full evaluation < 60 s,
# dashboard ready < 2 s).
#
# usage: bench/run_cs_scale.sh [--pg] [--no-build] [BUILD_DIR]
# Environment: ACCOUNTS (default 10000), USERS (20), DAYS (120).
# Loopback only; the server and files it makes are removed on exit. Not run
# by ctest: it measures, it asserts nothing about speed.
set -euo pipefail

# shellcheck source=pg_server.sh
source "$(dirname "$0")/pg_server.sh"
bench_args "$@"
cd "$(dirname "$0")/.."
if ((build_it)); then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j "$(nproc)" --target cs_scale_bench
fi
bench=$build/bench/cs_scale_bench
sizes=(--accounts="${ACCOUNTS:-10000}" --users="${USERS:-20}" --days="${DAYS:-120}")

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-cs-scale-XXXXXX")
cleanup() {
  stop_pg
  rm -rf "$work"
}
trap cleanup EXIT

echo "== SQLite =="
"$bench" --db="$work/cs.db" "${sizes[@]}"
if ((pg)); then
  start_pg
  psql_pg -d postgres -c "CREATE DATABASE cs_scale" >/dev/null
  echo
  echo "== PostgreSQL =="
  "$bench" --db="postgresql://cairn@127.0.0.1:$pg_port/cs_scale" "${sizes[@]}"
fi
