#!/usr/bin/env bash
# Formats every C++ file git tracks with the repository's .clang-format, or
# with --check lists the files that are not formatted and exits 1 (the
# check scripts/test.sh runs).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
mapfile -t files < <(git ls-files '*.cc' '*.h' '*.hpp' '*.c')
if [ "$mode" = "--check" ]; then
  # One clang-format per file, as many at once as there are cores; each
  # prints the name of a file it would change.
  mapfile -t bad < <(printf '%s\0' "${files[@]}" | xargs -0 -P "$(nproc)" -n 1 \
      sh -c 'clang-format --dry-run --Werror "$1" >/dev/null 2>&1 || echo "$1"' check)
  if [ ${#bad[@]} -ne 0 ]; then
    echo "not formatted (run scripts/format.sh): ${bad[*]}" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files formatted"
else
  clang-format -i "${files[@]}"
fi
