#!/usr/bin/env bash
# Formats every C++ file git tracks with the repository's .clang-format, or
# with --check lists the files that are not formatted and exits 1 (the
# check scripts/test.sh runs).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
mapfile -t files < <(git ls-files '*.cc' '*.h')
if [ "$mode" = "--check" ]; then
  bad=()
  for f in "${files[@]}"; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if [ ${#bad[@]} -ne 0 ]; then
    echo "not formatted (run scripts/format.sh): ${bad[*]}" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files formatted"
else
  clang-format -i "${files[@]}"
fi
