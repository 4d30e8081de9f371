#!/usr/bin/env bash
# usage: check_symbols.sh LIBCAIRN_SO APP CAIRN_H
# 1. libcairn.so exports only the C API: every defined dynamic symbol is a
#    cairn_* function declared in cairn.h, or a version node (an absolute
#    symbol named after the ABI version).
# 2. APP, a program built on cairn.hpp, takes nothing else from the library:
#    each of its undefined dynamic symbols that libcairn.so defines is a
#    function of cairn.h (the wrapper is inline and adds no symbol), and the
#    program itself exports no cairn symbol.
set -euo pipefail
lib=$1 app=$2 header=$3

# Declarations may wrap: join the lines, then take the name before each "(".
declared=$(tr '\n' ' ' <"$header" | grep -oE 'CAIRN_API [^;(#]*\(' |
           grep -oE 'cairn_[a-z0-9_]+ *\($' | tr -d '( ' | sort -u)
[ -n "$declared" ] || { echo "no function found in $header" >&2; exit 1; }

bad=0
exported=$(nm -D --defined-only "$lib")
while read -r _ type name; do
  name=${name%%@*}
  if [ "$type" = A ] && [[ $name =~ ^CAIRN_[0-9A-Z_.]+$ ]]; then continue; fi
  if ! grep -qxF "$name" <<<"$declared"; then
    echo "libcairn.so exports $name ($type), not a function of cairn.h" >&2
    bad=1
  fi
done <<<"$exported"
count=$(grep -c ' T cairn_' <<<"$exported" || true)
[ "$count" -gt 0 ] || { echo "libcairn.so exports no cairn_ function" >&2; exit 1; }

lib_names=$(awk '{print $3}' <<<"$exported" | sed 's/@.*//' | sort -u)
while read -r name; do
  [ -n "$name" ] || continue
  name=${name%%@*}
  if grep -qxF "$name" <<<"$lib_names" && ! grep -qxF "$name" <<<"$declared"; then
    echo "$app needs $name from libcairn.so, not a function of cairn.h" >&2
    bad=1
  fi
done < <(nm -D --undefined-only "$app" | awk '{print $2}')
used=$(nm -D --undefined-only "$app" | awk '{print $2}' | sed 's/@.*//' | grep -c '^cairn_' || true)
[ "$used" -gt 0 ] || { echo "$app uses no cairn_ function: not linked as expected" >&2; exit 1; }
if nm -D --defined-only "$app" | grep -qi cairn; then
  echo "$app exports cairn symbols:" >&2
  nm -D --defined-only "$app" | grep -i cairn >&2
  bad=1
fi
readelf -d "$app" | grep -q 'NEEDED.*libcairn\.so' || { echo "$app does not load libcairn.so" >&2; exit 1; }
[ "$bad" -eq 0 ] && echo "libcairn.so exports $count cairn_ functions and nothing else; the wrapper app uses $used of them"
exit "$bad"
