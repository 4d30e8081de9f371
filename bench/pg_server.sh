# Sourced by the benchmark scripts: a throwaway PostgreSQL server (Debian's
# binaries, durable defaults) on 127.0.0.1 and a free port, run as
# `postgres` when we are root.
#   start_pg        starts it; sets pg_port (and pg_pid, pg_dir)
#   stop_pg         stops it and removes its files (idempotent; call it from
#                   the script's EXIT trap)
#   psql_pg ARGS    psql as the `cairn` superuser
#   bench_args ARGS the scripts' common arguments [--pg] [--no-build]
#                   [BUILD_DIR]: sets pg (0/1), build_it (0/1) and build
pg_pid=""
pg_dir=""
pg_port=""

start_pg() {
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$bindir/initdb" ] || { echo "PostgreSQL server not installed (scripts/setup.sh)" >&2; exit 1; }
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-pg-XXXXXX")
  local as=()
  if [ "$(id -u)" = 0 ]; then chown postgres "$pg_dir"; as=(runuser -u postgres --); fi
  "${as[@]}" "$bindir/initdb" -D "$pg_dir/data" -U cairn --auth=trust -E UTF8 --locale=C \
    >"$pg_dir/initdb.log" 2>&1
  pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${as[@]}" "$bindir/postgres" -D "$pg_dir/data" -c listen_addresses=127.0.0.1 -c port="$pg_port" \
    -c unix_socket_directories="$pg_dir" -c max_connections=100 >"$pg_dir/postgres.log" 2>&1 &
  pg_pid=$!
  local i
  for ((i = 0; i < 600; i++)); do
    pg_isready -q -h 127.0.0.1 -p "$pg_port" && return
    sleep 0.1
  done
  echo "PostgreSQL did not start" >&2
  exit 1
}

stop_pg() {
  if [ -n "$pg_pid" ]; then
    # runuser does not pass signals on: stop the postmaster itself (fast
    # shutdown) by the pid in its pid file, then reap runuser.
    local postmaster
    postmaster=$(head -1 "$pg_dir/data/postmaster.pid" 2>/dev/null || true)
    [ -n "$postmaster" ] && kill -INT "$postmaster" 2>/dev/null || true
    kill -INT "$pg_pid" 2>/dev/null || true
    wait "$pg_pid" 2>/dev/null || true
    pg_pid=""
  fi
  [ -n "$pg_dir" ] && rm -rf "$pg_dir"
  pg_dir=""
}

psql_pg() { psql -X -q -t -A -h 127.0.0.1 -p "$pg_port" -U cairn "$@"; }

bench_args() {
  pg=0
  build_it=1
  build=build
  local arg
  for arg in "$@"; do
    case "$arg" in
      --pg) pg=1 ;;
      --no-build) build_it=0 ;;
      -*) echo "unknown option $arg" >&2; exit 2 ;;
      *) build=$arg ;;
    esac
  done
}
