#!/usr/bin/env bash
# The Node bindings' ctest: run_tests.sh SOURCE_DIR WORK_DIR.
# 1. npm ci into WORK_DIR, skipped when its node_modules came from the same
#    package-lock.json (so it runs offline once installed; otherwise npm's
#    cache serves it first).
# 2. node-gyp builds the addon in WORK_DIR against /usr's Node headers
#    (nothing fetched from nodejs.org) and CAIRN_INCLUDE_DIR/CAIRN_LIBRARY_DIR.
# 3. node --test runs test/*.test.js with CAIRN_NODE_ADDON set to that addon
#    and CAIRN_NODE_TEST_ENV ("A=1|B=2", e.g. the sanitizer runtime) applied.
set -euo pipefail
: "${CAIRN_INCLUDE_DIR:?}" "${CAIRN_LIBRARY_DIR:?}" "${CAIRN_COLLECTOR:?}"
src=$(cd "$1" && pwd)
mkdir -p "$2"
work=$(cd "$2" && pwd)
cd "$work"

cp -p "$src/package.json" "$src/package-lock.json" .
if ! cmp -s package-lock.json node_modules/.cairn-installed-lock 2>/dev/null; then
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.cairn-installed-lock
fi

# The sources are copied with their times, so make rebuilds only what changed.
rm -rf src
cp -rp "$src/src" src
cp -p "$src/binding.gyp" .
gyp=node_modules/.bin/node-gyp
if [ ! -f build/Makefile ] || [ binding.gyp -nt build/Makefile ]; then
  "$gyp" configure --nodedir=/usr --loglevel=warn
fi
"$gyp" build --nodedir=/usr --jobs=2 --loglevel=warn

extra=()
if [ -n "${CAIRN_NODE_TEST_ENV:-}" ]; then IFS='|' read -ra extra <<<"$CAIRN_NODE_TEST_ENV"; fi
export CAIRN_NODE_ADDON="$work/build/Release/cairn_node.node"
exec env "${extra[@]}" node --test --test-concurrency=1 "$src"/test/*.test.js
