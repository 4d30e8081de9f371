// Cost of a record call on the caller's thread (Client::RecordMilestone),
// with the real SDK behind it: the writer thread commits to an SQLite buffer
// in a temp dir, and the sender ships batches to a transport that
// acknowledges at once (so the sender deletes rows, as in production).
//
//   build/bench/record_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//
// Benchmarks:
//  - BM_RecordLatency/threads:{1,4}: every call timed on its own
//    (steady_clock = clock_gettime(CLOCK_MONOTONIC), vDSO) into a per-thread
//    array; counters p50/p90/p99/p99.9/max over all calls of all threads.
//    The clock reads are inside the measured interval; clock_ns is their cost.
//  - BM_RecordThroughput/threads:{1,4}: the same calls without per-call
//    clocks: items_per_second is recorded events/s (all threads together).
//  - BM_RecordLatencyPaced: one thread at an app-like 50,000 events/s (spins
//    between calls, untimed), default Options: the writer keeps up, so calls
//    find the queue empty and pay the writer wake-up.
// The tight-loop runs use a queue large enough for the whole run, so no call
// is refused for a full queue (`dropped` must be 0); they run a fixed number
// of calls so runs are comparable. Items are accepted calls only.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "bench/bench_support.h"

namespace cairn::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int64_t kTightCallsTotal = 1'000'000;  // per run, split over the threads

// What the threads of one run share. Thread 0 creates it before the
// benchmark's start barrier and tears it down after everyone published.
struct Run {
  TempDir dir;
  std::unique_ptr<Client> client;
  std::mutex mu;
  std::condition_variable all_published;
  int published = 0;                        // guarded by mu
  std::vector<uint32_t> latencies_ns;       // all threads' samples, guarded by mu
  int64_t refused = 0;                      // guarded by mu
};
Run* current_run = nullptr;

// Cost of one steady_clock::now() pair, the instrument's own overhead.
double ClockPairCostNs() {
  std::vector<uint32_t> samples(20000);
  for (uint32_t& s : samples) {
    auto a = SteadyClock::now();
    auto b = SteadyClock::now();
    s = static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
  }
  return Percentile(samples, 50);
}

void SetUpRun(benchmark::State& state, size_t queue_capacity) {
  if (state.thread_index() != 0) return;
  current_run = new Run;
  Options options = BenchOptions(current_run->dir.path(), std::make_shared<AckTransport>());
  options.compression = Codec::kIdentity;  // the sender shares the 2 cores: keep it cheap
  if (queue_capacity > 0) options.queue_capacity = queue_capacity;
  current_run->client = MakeSignedInClient(std::move(options));
}

// Called by every thread after its loop: hands over its samples; thread 0
// waits for the others, then computes the counters and tears the run down.
void FinishRun(benchmark::State& state, std::vector<uint32_t>& samples, int64_t accepted,
               int64_t refused, bool report_latency) {
  Run& run = *current_run;
  state.SetItemsProcessed(accepted);
  {
    std::lock_guard lock(run.mu);
    run.latencies_ns.insert(run.latencies_ns.end(), samples.begin(), samples.end());
    run.refused += refused;
    ++run.published;
  }
  run.all_published.notify_all();
  if (state.thread_index() != 0) return;
  {
    std::unique_lock lock(run.mu);
    run.all_published.wait(lock, [&] { return run.published == state.threads(); });
  }
  Stats stats = run.client->GetStats();
  if (report_latency) {
    std::vector<uint32_t>& all = run.latencies_ns;
    state.counters["p50_ns"] = Percentile(all, 50);
    state.counters["p90_ns"] = Percentile(all, 90);
    state.counters["p99_ns"] = Percentile(all, 99);
    state.counters["p99.9_ns"] = Percentile(all, 99.9);
    state.counters["max_us"] = Percentile(all, 100) / 1000.0;
    state.counters["clock_ns"] = ClockPairCostNs();
  }
  state.counters["dropped"] = static_cast<double>(run.refused);
  // Events still queued in memory when the last call returned: how far the
  // writer was behind the callers.
  state.counters["backlog"] = static_cast<double>(stats.recorded - stats.persisted);
  run.client.reset();  // Shutdown: the writer drains the queue (not timed)
  delete current_run;
  current_run = nullptr;
}

void BM_RecordLatency(benchmark::State& state) {
  SetUpRun(state, 4 * kTightCallsTotal);
  std::vector<uint32_t> samples;
  samples.reserve(static_cast<size_t>(state.max_iterations));
  int64_t accepted = 0, refused = 0;
  double value = 0;
  for (auto _ : state) {
    Client& client = *current_run->client;
    auto start = SteadyClock::now();
    absl::Status s = RecordOne(client, ++value);
    auto end = SteadyClock::now();
    samples.push_back(static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count()));
    if (s.ok()) {
      ++accepted;
    } else {
      ++refused;
    }
  }
  FinishRun(state, samples, accepted, refused, /*report_latency=*/true);
}
BENCHMARK(BM_RecordLatency)->Threads(1)->Iterations(kTightCallsTotal)->UseRealTime();
BENCHMARK(BM_RecordLatency)->Threads(4)->Iterations(kTightCallsTotal / 4)->UseRealTime();

void BM_RecordThroughput(benchmark::State& state) {
  SetUpRun(state, 4 * kTightCallsTotal);
  std::vector<uint32_t> none;
  int64_t accepted = 0, refused = 0;
  double value = 0;
  for (auto _ : state) {
    absl::Status s = RecordOne(*current_run->client, ++value);
    if (s.ok()) {
      ++accepted;
    } else {
      ++refused;
    }
  }
  FinishRun(state, none, accepted, refused, /*report_latency=*/false);
}
BENCHMARK(BM_RecordThroughput)->Threads(1)->Iterations(kTightCallsTotal)->UseRealTime();
BENCHMARK(BM_RecordThroughput)->Threads(4)->Iterations(kTightCallsTotal / 4)->UseRealTime();

void BM_RecordLatencyPaced(benchmark::State& state) {
  SetUpRun(state, /*queue_capacity=*/0);  // the default
  const auto gap = std::chrono::nanoseconds(1'000'000'000 / state.range(0));
  std::vector<uint32_t> samples;
  samples.reserve(static_cast<size_t>(state.max_iterations));
  int64_t accepted = 0, refused = 0;
  double value = 0;
  auto next = SteadyClock::now();
  for (auto _ : state) {
    next += gap;  // the spin is inside Google Benchmark's time: only the counters matter here
    while (SteadyClock::now() < next) {
    }
    Client& client = *current_run->client;
    auto start = SteadyClock::now();
    absl::Status s = RecordOne(client, ++value);
    auto end = SteadyClock::now();
    samples.push_back(static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count()));
    if (s.ok()) {
      ++accepted;
    } else {
      ++refused;
    }
  }
  FinishRun(state, samples, accepted, refused, /*report_latency=*/true);
}
// 100,000 calls at 50,000/s: 2 s per run.
BENCHMARK(BM_RecordLatencyPaced)->Arg(50'000)->ArgName("per_s")->Iterations(100'000)->UseRealTime();

}  // namespace
}  // namespace cairn::bench

BENCHMARK_MAIN();
