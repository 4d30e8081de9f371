#!/usr/bin/env bash
# usage: check_c_api_install.sh BUILD_DIR SOURCE_DIR CMAKE CC CXX COLLECTOR [SANITIZE_FLAGS]
# The C library as an app's developer gets it: installs the sdk component
# into a temporary prefix, checks that it holds exactly the public headers
# (the SDK's own and what they include, transitively; no internal header),
# then builds a C program (cairn.h) and a C++ program (cairn.hpp) outside
# the tree with only -I<prefix>/include -L<prefix>/lib -lcairn and runs
# both against the real collector. CC, CXX and SANITIZE_FLAGS are the
# build's: a sanitized library loads only into a program built with the
# same sanitizers.
set -euo pipefail
build=$1 src=$2 cmake=$3 cc=$4 cxx=$5 collector=$6 sanitize=${7:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-c-install.XXXXXX")
source "$src/tests/support/collector.sh"
trap 'stop_collector; rm -rf "$work"' EXIT
prefix=$work/prefix
"$cmake" --install "$build" --component sdk --prefix "$prefix" >/dev/null
test -f "$prefix/include/cairn/cairn.h"
test -f "$prefix/include/cairn/cairn.hpp"
ls "$prefix"/lib/libcairn.so.* >/dev/null

# Public headers: every header of sdk/include/cairn, and the consent
# grant signature an app's server side uses. Installed must be exactly
# those and what they include from cairn/, transitively.
roots=$(cd "$src/sdk/include" && find cairn -maxdepth 1 -name '*.h*' | sort)
roots+=$'\n'cairn/consent/grant_signature.h
declare -A needed=()
queue=($roots)
while [ ${#queue[@]} -gt 0 ]; do
  header=${queue[0]}
  queue=("${queue[@]:1}")
  [ -n "${needed[$header]:-}" ] && continue
  needed[$header]=1
  if [ ! -f "$prefix/include/$header" ]; then
    echo "public header not installed: include/$header" >&2
    exit 1
  fi
  for inc in $(sed -n 's/^#include "\(cairn\/[^"]*\)".*/\1/p' "$prefix/include/$header"); do
    queue+=("$inc")
  done
done
bad=0
while read -r installed; do
  if [ -z "${needed[$installed]:-}" ]; then
    echo "internal header installed: include/$installed" >&2
    bad=1
  fi
done < <(cd "$prefix/include" && find cairn -type f \( -name '*.h' -o -name '*.hpp' \) | sort)
[ "$bad" -eq 0 ] || exit 1

flags=(-I"$prefix/include" -L"$prefix/lib" -Wl,-rpath,"$prefix/lib")
# The C program is compiled as C. A sanitized build links it with the C++
# driver: such a libcairn.so needs the C++ parts of the sanitizer runtimes,
# which a C link leaves out. A plain one is linked as any C app would be.
"$cc" -std=c11 -Wall -Wextra -Werror -pedantic $sanitize -I"$prefix/include" -c \
    "$src/tests/capi/capi_hello.c" -o "$work/c-app.o"
linker=$cc
[ -n "$sanitize" ] && linker=$cxx
"$linker" $sanitize "$work/c-app.o" "${flags[@]}" -lcairn -o "$work/c-app"
"$cxx" -std=c++17 -Wall -Wextra -Werror $sanitize "$src/tests/wrapper/telemetry_app.cc" \
    "${flags[@]}" -lcairn -o "$work/cxx-app"

start_collector "$collector" "$work/collector.db" install-key "$work"
"$work/c-app" "$COLLECTOR_URL" install-key "$work/c-device"
"$work/cxx-app" "$COLLECTOR_URL" install-key "$work/cxx-device"
stop_collector
c_stored=$(stored_count "$work/collector.db" "milestone_name = 'hello_from_c'")
cxx_stored=$(stored_count "$work/collector.db" "user_id = 'wrapper-user' AND milestone_name = 'wrapper_app'")
[ "$c_stored" = 1 ] || { echo "store holds $c_stored of the C app's milestone" >&2; exit 1; }
[ "$cxx_stored" = 1 ] || { echo "store holds $cxx_stored of the C++ app's milestone" >&2; exit 1; }
echo "installed libcairn: ${#needed[@]} public headers; a C and a C++ app built outside delivered"
