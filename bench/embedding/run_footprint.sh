#!/usr/bin/env bash
# usage: bench/embedding/run_footprint.sh [BUILD_DIR]
# The footprint of libcairn.so and the cost of a record call through each of
# its faces, in one run (docs/performance.md, "Embedding footprint"):
#   - size of libcairn.so stripped, and the shared libraries it needs;
#   - cairn_client_create time and the threads an idle client adds
#     (capi_record_bench, BM_ClientCreate);
#   - a milestone recorded through C++ (the static SDK), C, Python, Node.js.
# BUILD_DIR (default build) is a product build with benchmarks and the Node
# addon built (ctest -L bindings builds it). Medians of 5 for the Google
# Benchmark figures; Python and Node report their own loops (best of 3).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(cd "${1:-build}" && pwd)
lib=$build/sdk/src/capi/libcairn.so
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-footprint.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
cp -L "$lib" "$work/libcairn.so" && strip "$work/libcairn.so"
echo "libcairn.so stripped: $(stat -c %s "$work/libcairn.so") bytes;" \
     "exported: $(nm -D --defined-only "$lib" | grep -c ' cairn_') cairn_* functions," \
     "$(nm -D --defined-only "$lib" | grep -vc ' cairn_' || true) other symbols"
echo "needs (NEEDED): $(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"

gbench() {
  "$1" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
      --benchmark_format=console 2>/dev/null | grep -E '_median' || true
}
echo "--- C API (libcairn.so) ---"
gbench "$build/bench/capi_record_bench"
echo "--- C++ (static cairn::sdk) ---"
gbench "$build/bench/capi_record_bench_cxx"
echo "--- Python (ctypes) ---"
for _ in 1 2 3; do CAIRN_LIBRARY=$lib python3 bindings/python/bench_record.py 50000; done
echo "--- Node.js (N-API) ---"
addon=$(find "$build/bindings/node" -name cairn_node.node | head -n 1)
if [ -n "$addon" ]; then
  for _ in 1 2 3; do CAIRN_NODE_ADDON=$addon node bindings/node/bench_record.js 100000; done
else
  echo "no addon under $build/bindings/node: run ctest -L bindings first"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
