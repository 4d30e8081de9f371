"""Nanoseconds per Client.record_milestone call through Python (ctypes), for docs/performance.md.

    CAIRN_LIBRARY=build/sdk/libcairn.so python3 bindings/python/bench_record.py [calls]

The client points at a closed loopback port and lingers long, so delivery
never runs meanwhile: the figure is the Python call, the ctypes crossing and
the SDK's record path (consent check, serialise, queue), not the network.
The queue is sized to hold every call so none waits for the writer.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cairn  # noqa: E402


def run(calls: int) -> None:
    with tempfile.TemporaryDirectory(prefix="cairn-bench-") as storage:
        with cairn.Client(
            collector_url="http://127.0.0.1:9",
            write_key="bench",
            storage_dir=storage,
            queue_capacity=3 * (calls + 1000) + 16,
            upload_interval=3600,
            shutdown_timeout=0,
            attribute_allowlist=["plan"],
        ) as client:
            for purpose in (cairn.Purpose.USAGE_ANALYTICS, cairn.Purpose.MILESTONES):
                client.set_consent("acme", "user-1", purpose, policy_version="bench")
            client.record_login("acme", "user-1")
            record = client.record_milestone
            for label, args in (("name only", ()), ("value + 1 attribute", (1.0, {"plan": "pro"}))):
                for _ in range(min(calls, 1000)):  # warm-up
                    record("warm_up", *args)
                start = time.perf_counter_ns()
                for _ in range(calls):
                    record("invoice_sent", *args)
                elapsed = time.perf_counter_ns() - start
                print(f"record_milestone ({label}): {elapsed / calls:.0f} ns/call over {calls} calls")
            # Baselines: the cheapest ctypes call into the library (the machine's
            # crossing cost), and the C record call alone, so the binding's own
            # share is the difference with the lines above.
            lib = cairn._lib.lib()
            for label, fn, args in (
                ("ctypes baseline: cairn_abi_version", lib.cairn_abi_version, ()),
                ("C call alone: cairn_record_milestone", lib.cairn_record_milestone,
                 (client._handle, b"invoice_sent", 0, 0.0, None, 0)),
            ):
                start = time.perf_counter_ns()
                for _ in range(calls):
                    fn(*args)
                elapsed = time.perf_counter_ns() - start
                print(f"{label}: {elapsed / calls:.0f} ns/call")
            print(f"library {cairn.library_version()}, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
