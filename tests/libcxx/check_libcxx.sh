#!/usr/bin/env bash
# usage: check_libcxx.sh BUILD_DIR [LIBCAIRN_SO COLLECTOR_BINARY]
# (both default to where BUILD_DIR puts them)
# What libc++ (LLVM's C++ standard library) covers, on a build that has
# libcairn.so (see docs/sdk.md, "clang and libc++"):
# (a) an app built with clang++ -stdlib=libc++ on cairn.hpp links the
#     build's libcairn.so (its C++ inside, on libstdc++, hidden) and
#     delivers to the real collector: the store holds what it recorded;
# (b) every .cc of sdk/src, consent/src and common/src compiles with
#     clang++ -stdlib=libc++ -std=c++20 -Werror (syntax and semantics, no
#     objects: Debian's abseil and protobuf are built for libstdc++, so
#     the SDK cannot be linked against libc++ here).
# Exits 77 (skipped) on a sanitized GCC build, whose libcairn.so needs GCC's
# sanitizer runtime, which a clang-built app cannot provide.
set -euo pipefail
build=$(cd "$1" && pwd)
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
src=$(cache CMAKE_HOME_DIRECTORY)
compiler=$(cache CMAKE_CXX_COMPILER)
sanitize=""
[ "$(cache CAIRN_ASAN)" = ON ] && sanitize="-fsanitize=address,undefined"
[ "$(cache CAIRN_TSAN)" = ON ] && sanitize="-fsanitize=thread"
if [ -n "$sanitize" ] && ! "$compiler" --version | grep -q clang; then
  echo "sanitized GCC build: a clang app cannot load its libcairn.so; skipped"
  exit 77
fi
lib=${2:-$build/sdk/src/capi/libcairn.so}
collector=${3:-$build/collector/cairn-collector}
for f in "$lib" "$collector"; do
  [ -e "$f" ] || { echo "missing $f: build cairn_c and cairn-collector first" >&2; exit 1; }
done
clangxx=${CLANGXX:-clang++}
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-libcxx.XXXXXX")
source "$src/tests/support/collector.sh"
trap 'stop_collector; rm -rf "$work"' EXIT

# (b) The SDK's own code against libc++'s headers.
start=$SECONDS
find "$src/sdk/src" "$src/consent/src" "$src/common/src" -name '*.cc' | sort >"$work/sources"
xargs -P "${CAIRN_LIBCXX_JOBS:-2}" -n 1 "$clangxx" -stdlib=libc++ -std=c++20 -Wall -Wextra \
    -Werror -fsyntax-only -I"$src" -I"$src/sdk/include" -I"$src/common/include" \
    -I"$src/consent/include" -I"$build/proto" <"$work/sources"
echo "libc++: $(wc -l <"$work/sources") SDK sources compile ($((SECONDS - start)) s)"

# (a) An app on libc++ with libcairn.so.
"$clangxx" -stdlib=libc++ -std=c++17 -Wall -Wextra -Werror $sanitize \
    -I"$src/sdk/include" "$src/tests/wrapper/telemetry_app.cc" \
    -L"$(dirname "$lib")" -lcairn -Wl,-rpath,"$(dirname "$lib")" -o "$work/app"
readelf -d "$work/app" | grep -q 'NEEDED.*libc++\.so' ||
  { echo "the app is not linked against libc++" >&2; exit 1; }
if readelf -d "$work/app" | grep -q 'NEEDED.*libstdc++'; then
  echo "the app itself needs libstdc++" >&2
  exit 1
fi
start_collector "$collector" "$work/collector.db" libcxx-key "$work"
"$work/app" "$COLLECTOR_URL" libcxx-key "$work/device"
stop_collector
stored=$(stored_count "$work/collector.db" \
  "user_id = 'wrapper-user' AND (kind = 'login' OR milestone_name = 'wrapper_app')")
[ "$stored" = 2 ] || { echo "store holds $stored of the app's 2 events" >&2; exit 1; }
echo "libc++: an app on cairn.hpp and libcairn.so delivered its events"
