#!/usr/bin/env bash
# The main job: builds Cairn, starts a collector with its embedded SQLite
# store, runs the sample SaaS app against it for a few users (each asked for
# consent first), lets them use the consent switch (renewal notifications on,
# one user objects), asks the collector's admin API who may receive renewal
# notifications, prints a summary read back from the store, and stops the
# collector.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
build=${CAIRN_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target cairn-collector cairn-sample-app cairn-consent \
    cairnctl >/dev/null
echo "built cairn-collector, cairn-sample-app, cairn-consent and cairnctl"

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-demo.XXXXXX")
key=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
admin_token=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
collector_pid=""
cleanup() {
  if [ -n "$collector_pid" ] && kill -0 "$collector_pid" 2>/dev/null; then
    kill -TERM "$collector_pid" 2>/dev/null || true
    wait "$collector_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

printf '%s\n' "$key" > "$work/write-keys"
printf '%s\n' "$admin_token" > "$work/admin-tokens"
"$build/collector/cairn-collector" --listen=127.0.0.1:0 --db="$work/collector.db" \
    --write-key-file="$work/write-keys" --admin-token-file="$work/admin-tokens" \
    --attribute-allowlist=plan \
    > "$work/collector.out" 2> "$work/collector.log" &
collector_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/collector.out" 2>/dev/null && break
  sleep 0.1
done
address=$(sed -n 's/.*listening on \([0-9.:]*\).*/\1/p' "$work/collector.out" | head -1)
[ -n "$address" ] || { echo "collector did not start:"; cat "$work/collector.log"; exit 1; }
echo "collector listening on $address (store: SQLite)"

run_app() {  # account user events [extra flags]
  local account=$1 user=$2 events=$3; shift 3
  printf '  %-8s %-6s ' "$account" "$user"
  "$build/samples/cairn-sample-app" --collector="http://$address" --write_key="$key" \
      --storage_dir="$work/device-$user" --account="$account" --user="$user" \
      --events="$events" "$@"
}
echo "sample app sessions:"
run_app acme alice 12
run_app acme bob 6
run_app globex carol 9
run_app globex dave 5 --consent_milestones=false

switch() {  # account user command...
  local account=$1 user=$2; shift 2
  "$build/samples/cairn-consent" --collector="http://$address" --write_key="$key" \
      --storage_dir="$work/device-$user" --account="$account" --user="$user" "$@" >/dev/null
}
echo
echo "consent switch: alice, bob, carol turn renewal notifications on; bob then objects (Art. 21)"
switch acme alice renewals on
switch acme bob renewals on
switch globex carol renewals on
switch acme bob renewals off
echo "bob's choices on his device:"
"$build/samples/cairn-consent" --storage_dir="$work/device-bob" --account=acme --user=bob \
    --collector="http://$address" --write_key="$key" show | sed 's/^/  /'

# The collector's admin API (admin token, never the write key).
recipients() {
  curl -fsS -H "Authorization: Bearer $admin_token" \
      "http://$address/v1/renewal-notifications/recipients?account_id=$1"
}
echo "renewal-notification recipients by account (admin API):"
for account in acme globex; do
  printf '  %s\n' "$(recipients "$account")"
done

# Customer success through cairnctl: contracts, then every account
# with its health (one day of history here, so the trend is not judged yet).
cairnctl() {
  "$build/collector/cli/cairnctl" --url "http://$address" --admin-token-file "$work/admin-tokens" "$@"
}
cairnctl account set acme --seats 5 --renewal-date "$(date -u -d '+30 days' +%F)" >/dev/null
cairnctl account set globex --seats 20 --renewal-date "$(date -u -d '+75 days' +%F)" >/dev/null
echo
echo "customer success (cairnctl at-risk --all):"
cairnctl at-risk --all | sed 's/^/  /'
echo "renewals within 90 days (cairnctl renewals):"
cairnctl renewals --within-days 90 | sed 's/^/  /'
echo "dashboards: http://$address/dashboard/#token=<admin token> (this run's collector stops now)"

kill -TERM "$collector_pid"
wait "$collector_pid"
collector_pid=""
echo
"$build/collector/cairn-collector" summary --db="$work/collector.db"
