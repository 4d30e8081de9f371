#!/usr/bin/env bash
# usage: check_packages.sh BUILD_DIR SOURCE_DIR CMAKE CXX
# Builds the Debian packages of BUILD_DIR with CPack and checks them:
#   - cairn-sdk holds the SDK and nothing of the collector; cairn-collector
#     holds the binaries, the unit and the conffile; every file is stripped;
#   - an outside project builds against the unpacked cairn-sdk, and every
#     Debian package owning what the SDK's find_dependency calls resolve to
#     is in cairn-sdk's Depends and in the docs (README.md, docs/deploy.md),
#     as is every runtime library package the built program needs;
#   - cairn-collector installs with dpkg, creates the cairn user and its
#     store directory, its unit passes systemd-analyze verify (when there),
#     and the collector, started as the cairn user exactly as the unit's
#     ExecStart says (on a free loopback port), answers /healthz and stores
#     an event posted with the package's write key; then the package is purged.
# Needs root (re-runs itself with sudo otherwise). Safe to run again after a
# failed run: it purges what an earlier run left first.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then exec sudo -n "$0" "$@"; fi
build=$1 source=$2 cmake=$3 cxx=$4
cpack=$(dirname "$cmake")/cpack
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-package.XXXXXX")
collector_pid=""

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
purge_collector() {
  if dpkg-query -W -f='${Status}' cairn-collector 2>/dev/null | grep -qv "not-installed"; then
    dpkg --purge cairn-collector >/dev/null
  fi
  # The store the run's collector wrote (purge keeps a store on purpose).
  rm -rf /var/lib/cairn
}
cleanup() {
  if [ -n "$collector_pid" ]; then
    kill -KILL "$collector_pid" 2>/dev/null || true
    wait "$collector_pid" 2>/dev/null || true
  fi
  exec 3<&- 2>/dev/null || true
  purge_collector
  rm -rf "$work"
}
trap cleanup EXIT
purge_collector

# --- build the packages --------------------------------------------------
if ! "$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$work/debs" >"$work/cpack.log" 2>&1; then
  cat "$work/cpack.log" >&2
  fail "cpack failed"
fi
sdk_deb=$(echo "$work"/debs/cairn-sdk_*.deb)
collector_deb=$(echo "$work"/debs/cairn-collector_*.deb)
[ -f "$sdk_deb" ] || fail "no cairn-sdk package"
[ -f "$collector_deb" ] || fail "no cairn-collector package"

# --- contents --------------------------------------------------------------
# contents DEB: the package's paths, one a line, without the leading '.'.
contents() { dpkg-deb -c "$1" | awk '{print substr($6, 2)}'; }
contents "$sdk_deb" >"$work/sdk.list"
contents "$collector_deb" >"$work/collector.list"
for path in /usr/include/cairn/client.h /usr/lib/cmake/Cairn/CairnConfig.cmake \
            /usr/lib/cmake/Cairn/CairnTargets.cmake /usr/lib/libcairn_sdk.a \
            /usr/share/doc/cairn-sdk/sdk.md; do
  grep -qx "$path" "$work/sdk.list" || fail "cairn-sdk lacks $path"
done
if grep -E '^/usr/bin/|^/etc/|systemd|cairn-collector|cairnctl' "$work/sdk.list"; then
  fail "cairn-sdk holds collector files (above)"
fi
for path in /usr/bin/cairn-collector /usr/bin/cairnctl \
            /usr/lib/systemd/system/cairn-collector.service /etc/cairn/collector.conf; do
  grep -qx "$path" "$work/collector.list" || fail "cairn-collector lacks $path"
done
if grep -E '^/usr/include/|\.a$' "$work/collector.list"; then
  fail "cairn-collector holds SDK files (above)"
fi
dpkg-deb -e "$collector_deb" "$work/collector.control"
grep -qx /etc/cairn/collector.conf "$work/collector.control/conffiles" ||
  fail "collector.conf is not a conffile"
# depends DEB: the package names in DEB's Depends, each between spaces.
depends() { echo " $(dpkg-deb -f "$1" Depends | tr ',|' '  ' | tr -s ' ') "; }
collector_depends=$(depends "$collector_deb")
for dep in adduser libpq5 libsqlite3-0 libcurl4; do
  [[ $collector_depends == *" $dep "* ]] ||
    fail "cairn-collector Depends lacks $dep (dpkg-shlibdeps):$collector_depends"
done

# --- stripped ----------------------------------------------------------------
dpkg-deb -x "$sdk_deb" "$work/sdk-root"
dpkg-deb -x "$collector_deb" "$work/collector-root"
for binary in "$work"/collector-root/usr/bin/*; do
  info=$(file -b "$binary")
  [[ $info == ELF* && $info != *"not stripped"* ]] || fail "not stripped: $binary ($info)"
done
archives=("$work"/sdk-root/usr/lib/libcairn_*.a)
[ ${#archives[@]} -eq 4 ] || fail "expected 4 SDK archives, found ${archives[*]}"
for archive in "${archives[@]}"; do
  if objdump -h "$archive" | grep -q '\.debug_'; then fail "debug info left in $archive"; fi
done
echo "sizes: $(du -sh "$work/sdk-root/usr/lib" | cut -f1) of SDK libraries," \
     "$(du -sh "$work/collector-root/usr/bin/cairn-collector" | cut -f1) collector"

# --- what an app needs ---------------------------------------------------------
# The outside project of the install test, built against the unpacked package.
sdk_prefix=$work/sdk-root/usr
"$cmake" -S "$source/tests/install/consumer" -B "$work/consumer" \
    -DCMAKE_PREFIX_PATH="$sdk_prefix" -DCMAKE_CXX_COMPILER="$cxx" >"$work/consumer.log" 2>&1 ||
  { cat "$work/consumer.log" >&2; fail "the outside project does not configure"; }
"$cmake" --build "$work/consumer" -j 2 >>"$work/consumer.log" 2>&1 ||
  { cat "$work/consumer.log" >&2; fail "the outside project does not build"; }
"$work/consumer/consumer" "$work/consumer-data" >/dev/null

# owner PATH: the Debian package owning PATH, empty for a directory many own.
owner() {
  local found
  found=$(dpkg -S "$1" 2>/dev/null || dpkg -S "$(realpath "$1")" 2>/dev/null || true)
  found=${found%%: *}
  [[ $found == *,* ]] || echo "${found%%:*}"  # without the ":amd64"
}
# documented PKG: fails unless README.md and docs/deploy.md name PKG (in
# backquotes, so that libcurl4-openssl-dev does not count for libcurl4).
documented() {
  local doc
  for doc in README.md docs/deploy.md; do
    grep -qF -- "\`$1\`" "$source/$doc" || fail "$doc does not list $1"
  done
}
sdk_depends=$(depends "$sdk_deb")
config=$sdk_prefix/lib/cmake/Cairn/CairnConfig.cmake
dependencies=$(sed -n 's/^find_dependency(\([A-Za-z0-9_]*\).*/\1/p' "$config")
[ -n "$dependencies" ] || fail "no find_dependency in $config"
for name in $dependencies; do
  [ "$name" = Threads ] && continue  # the C library's
  # What the consumer's find_dependency(NAME) found: NAME_DIR (a CMake
  # package) or NAME's libraries, as cached paths.
  paths=$(grep -iE "^${name}_[A-Za-z_]*(DIR|LIBRARY|LIBRARY_RELEASE|LIBRARIES):[A-Z]+=/" \
            "$work/consumer/CMakeCache.txt" | cut -d= -f2- | tr ';' '\n' | grep '^/' || true)
  packages=$(for path in $paths; do owner "$path"; done | sort -u)
  [ -n "$packages" ] || fail "find_dependency($name): no Debian package owns what it found"
  for package in $packages; do
    [[ $sdk_depends == *" $package "* ]] ||
      fail "cairn-sdk Depends lacks $package (for $name):$sdk_depends"
    documented "$package"
  done
done
# Runtime: the packages of the shared libraries the program links directly.
ldd "$work/consumer/consumer" >"$work/ldd.txt"
for soname in $(readelf -d "$work/consumer/consumer" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  [[ $soname == ld-linux* ]] && continue  # the dynamic loader, libc6's
  path=$(awk -v so="$soname" '$1 == so {print $3}' "$work/ldd.txt")
  [ -n "$path" ] || fail "$soname not found by ldd"
  package=$(owner "$path")
  case $package in
    libc6 | libgcc-s1 | libstdc++6) ;;  # every C++ program's
    "") fail "no Debian package owns $path" ;;
    *) documented "$package" ;;
  esac
done

# --- the collector package, installed -----------------------------------------
dpkg -i "$collector_deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd cairn) || fail "no cairn user"
[ "$uid" -lt 1000 ] || fail "cairn is not a system user (uid $uid)"
[ "$home" = /var/lib/cairn ] || fail "cairn's home is $home"
[ "$shell" = /usr/sbin/nologin ] || fail "cairn's shell is $shell"
getent group cairn >/dev/null || fail "no cairn group"
# expect_mode PATH OWNER:GROUP MODE
expect_mode() {
  local actual
  actual=$(stat -c '%U:%G %a' "$1")
  [ "$actual" = "$2 $3" ] || fail "$1 is $actual, expected $2 $3"
}
expect_mode /var/lib/cairn cairn:cairn 750
expect_mode /etc/cairn/collector.conf root:root 644
expect_mode /etc/cairn/write-keys root:cairn 640
expect_mode /usr/bin/cairn-collector root:root 755
unit=/usr/lib/systemd/system/cairn-collector.service
expect_mode "$unit" root:root 644
grep -qx "User=cairn" "$unit" || fail "the unit does not run as cairn"
grep -qx "ReadWritePaths=/var/lib/cairn" "$unit" || fail "the unit cannot write its store"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify "$unit" >"$work/verify.log" 2>&1 ||
    { cat "$work/verify.log" >&2; fail "systemd-analyze verify"; }
  if [ -s "$work/verify.log" ]; then
    cat "$work/verify.log" >&2
    fail "systemd-analyze verify warns"
  fi
else
  echo "systemd-analyze not installed: the unit is not verified"
fi

# Started as the unit starts it, on a free port (port 0; the collector prints
# the port it got on its one stdout line).
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
read -r -a command <<<"$exec_start"
[ "${command[0]}" = /usr/bin/cairn-collector ] || fail "ExecStart runs ${command[0]}"
mkfifo "$work/collector.out"
setpriv --reuid=cairn --regid=cairn --init-groups --no-new-privs -- \
    "${command[@]}" --listen=127.0.0.1:0 >"$work/collector.out" 2>"$work/collector.err" &
collector_pid=$!
exec 3<"$work/collector.out"
line=""
read -r -t 30 line <&3 || true
[[ $line =~ ^cairn-collector\ listening\ on\ 127\.0\.0\.1:([0-9]+)$ ]] ||
  { cat "$work/collector.err" >&2; fail "collector did not start: '$line'"; }
url=http://127.0.0.1:${BASH_REMATCH[1]}
[ "$(curl -sS --max-time 10 "$url/healthz")" = ok ] || fail "/healthz"

key=$(grep -v '^#' /etc/cairn/write-keys | head -n 1)
# uuid7: a UUIDv7 from the clock and /dev/urandom.
uuid7() {
  local ms random
  ms=$(printf '%012x' "$(date +%s%3N)")
  random=$(od -An -tx1 -N10 /dev/urandom | tr -d ' \n')
  printf '%s-%s-7%s-%x%s-%s\n' "${ms:0:8}" "${ms:8:4}" "${random:0:3}" \
    $((8 + 0x${random:3:1} % 4)) "${random:4:3}" "${random:7:12}"
}
# post BODY: POSTs a JSON batch with the package's write key; prints the answer.
post() {
  curl -sS --max-time 10 -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    --data-binary "$1" -w '\n%{http_code}' "$url/v1/batch"
}
now=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
event() {  # event ID SEQUENCE PURPOSE BODY
  printf '{"eventId":"%s","accountId":"acct-package","userId":"user-package","occurredAt":"%s","sequence":"%s","purpose":"%s",%s}' \
    "$1" "$now" "$2" "$3" "$4"
}
grant=$(event "$(uuid7)" 1 PURPOSE_CONSENT_RECORD \
  '"consentChange":{"purpose":"PURPOSE_USAGE_ANALYTICS","decision":"CONSENT_DECISION_GRANTED","policyId":"privacy","policyVersion":"1"}')
answer=$(post "{\"batchId\":\"$(uuid7)\",\"events\":[$grant]}")
[[ $answer == *'"accepted":1'*$'\n'200 ]] || fail "consent grant not accepted: $answer"
login_id=$(uuid7)
login=$(event "$login_id" 2 PURPOSE_USAGE_ANALYTICS '"login":{"method":"password"}')
answer=$(post "{\"batchId\":\"$(uuid7)\",\"events\":[$login]}")
[[ $answer == *'"accepted":1'*$'\n'200 ]] || fail "login not accepted: $answer"

kill -TERM "$collector_pid"
status=0
wait "$collector_pid" || status=$?
collector_pid=""
[ "$status" -eq 0 ] || { cat "$work/collector.err" >&2; fail "collector exited with $status"; }
stored=$(sqlite3 /var/lib/cairn/events.db "SELECT count(*) FROM events WHERE event_id = '$login_id'")
[ "$stored" = 1 ] || fail "the login is not in the store ($stored)"
[ "$(stat -c %U /var/lib/cairn/events.db)" = cairn ] || fail "the store is not the cairn user's"

# --- purged --------------------------------------------------------------------
dpkg --purge cairn-collector >/dev/null
for path in /usr/bin/cairn-collector "$unit" /etc/cairn; do
  [ ! -e "$path" ] || fail "$path is left after purge"
done
echo "package test passed"
