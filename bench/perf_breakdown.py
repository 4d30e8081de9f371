#!/usr/bin/env python3
"""Per-thread CPU breakdown of a `perf record --call-graph dwarf` profile.

For each thread (busiest first) prints its share of all samples and, for
each FRAME substring given, the share of that thread's samples whose stack
contains it (inclusive time). Threads are labelled by the first of a few
known loop functions found in their stacks (SDK WriterLoop / SenderLoop,
collector BatchWriter::Run, else main/other).

  perf record -F 499 --call-graph dwarf,8192 -o e2e.data \\
      build-bench/bench/cairn-e2e-bench --events=200000
  perf script -i e2e.data | bench/perf_breakdown.py Remove Append BuildBatch \\
      Compress CurlTransport::Post sqlite3_step Store::Write DecodeBatch
"""
import collections
import re
import sys

ROLES = ("WriterLoop", "SenderLoop", "BatchWriter::Run", "RunSpecifiedBenchmarks")


def main() -> None:
    keys = sys.argv[1:]
    samples = collections.Counter()
    inclusive = collections.defaultdict(collections.Counter)
    role, comm_of = {}, {}
    header = re.compile(r"^(\S.*?)\s+(\d+)(?:/(\d+))?\s")

    def flush(tid, comm, frames):
        if tid is None:
            return
        samples[tid] += 1
        comm_of[tid] = comm
        for key in keys:
            if any(key in frame for frame in frames):
                inclusive[tid][key] += 1
        if tid not in role:
            for r in ROLES:
                if any(r in frame for frame in frames):
                    role[tid] = r
                    break

    tid, comm, frames = None, None, []
    for line in sys.stdin:
        if not line.strip():
            flush(tid, comm, frames)
            tid, frames = None, []
        elif not line.startswith((" ", "\t")):
            m = header.match(line)
            if m:
                comm, tid = m.group(1), int(m.group(3) or m.group(2))
        else:
            parts = line.strip().split(" ", 1)
            if len(parts) == 2:
                frames.append(parts[1])
    flush(tid, comm, frames)

    total = sum(samples.values()) or 1
    for t, n in samples.most_common(12):
        print(f"tid {t} {comm_of[t]} ({role.get(t, 'main/other')}): "
              f"{n} samples, {100 * n / total:.1f}% of all")
        for key, c in sorted(inclusive[t].items(), key=lambda kv: -kv[1]):
            print(f"    {100 * c / n:5.1f}%  {key}")


if __name__ == "__main__":
    main()
