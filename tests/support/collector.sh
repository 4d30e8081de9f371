# Shell helpers for the script tests that run the real collector (source it).
#
# start_collector BINARY DB WRITE_KEY WORK_DIR: starts cairn-collector on a
#   free loopback port and waits for its "listening on" line; sets
#   COLLECTOR_URL and COLLECTOR_PID. Fails if the line does not come within
#   20 s. Its stdout goes through a FIFO in WORK_DIR.
# stop_collector: SIGTERM and wait (the store is complete after it).
# stored_count DB WHERE: rows of the store's events table matching WHERE.

start_collector() {
  local binary=$1 db=$2 key=$3 work=$4 line
  mkfifo "$work/collector.out"
  "$binary" --listen=127.0.0.1:0 --db="$db" --write-key="$key" >"$work/collector.out" &
  COLLECTOR_PID=$!
  exec {COLLECTOR_FD}<"$work/collector.out"
  if ! read -r -t 20 line <&"$COLLECTOR_FD" || [[ $line != *"listening on "* ]]; then
    echo "collector did not start: ${line:-no output}" >&2
    return 1
  fi
  COLLECTOR_URL="http://${line##*listening on }"
}

stop_collector() {
  [ -n "${COLLECTOR_PID:-}" ] || return 0
  kill -TERM "$COLLECTOR_PID" 2>/dev/null || true
  wait "$COLLECTOR_PID" || true
  exec {COLLECTOR_FD}<&-
  COLLECTOR_PID=
}

stored_count() {
  sqlite3 -readonly "$1" "SELECT count(*) FROM events WHERE $2"
}
