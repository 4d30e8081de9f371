// Cost of a record call on the caller's thread (Client::RecordMilestone),
// with the real SDK behind it: the writer thread commits to an SQLite buffer
// in a temp dir, and the sender ships zstd batches to a transport that
// acknowledges at once (so the sender reads and deletes rows, as in
// production). Options are the defaults.
//
//   build/bench/record_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// A loop recording as fast as it can outruns any durable buffer, so the
// record benchmarks run in bursts that fit the default in-memory queue: each
// thread records kBurst / threads events (kBurst = half the default
// queue_capacity), then (untimed) waits until the
// writer has drained the queue, and goes on. The writer drains concurrently
// during a burst, as it would in an app. 500,000 calls per run.
//
// Benchmarks:
//  - BM_RecordLatency/threads:{1,4}: every call timed on its own
//    (steady_clock = clock_gettime(CLOCK_MONOTONIC) through the vDSO, TSC
//    clocksource) into a per-thread array; counters p50/p90/p99/p99.9/max
//    over all calls of all threads. The two clock reads are inside each
//    measured interval; clock_ns is their cost.
//  - BM_RecordThroughput/threads:{1,4}: the same without per-call clocks:
//    items_per_second is recorded events/s (all threads together) while
//    recording, i.e. the caller-side rate (the sustained rate is bounded by
//    the writer: see durable_bench).
//  - BM_RecordLatencyPaced: one thread at an app-like 50,000 events/s (spins
//    between calls): the writer keeps up, so most calls find the queue empty
//    and pay for waking the writer.
//  - BM_RecordOverload: one thread records 500,000 events without pause:
//    the queue fills, calls are refused (dropped, counted) and the latency is
//    that of an overloaded SDK.
//  - BM_RecordDurable/threads:{1,4,16}: Options::durable_records, each call
//    waits until its event is committed to the buffer; threads share commits.
//    items_per_second is durable records/s.
// `dropped` counts calls refused (queue full); items are accepted calls only.
// vol_cs / invol_cs: context switches of the recording threads while timed
// (getrusage RUSAGE_THREAD): voluntary = a call blocked; involuntary = the
// scheduler preempted the caller (the tails on this 2-core machine).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <barrier>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/bench_support.h"

namespace cairn::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int64_t kCallsPerRun = 500'000;  // split over the threads
// Half the default queue_capacity, so a burst never fills the queue.
const int64_t kBurst = static_cast<int64_t>(Options().queue_capacity / 2);

// What the threads of one run share. Thread 0 creates it before the
// benchmark's start barrier and tears it down after everyone published.
struct Run {
  explicit Run(int threads) : burst_end(threads) {}
  TempDir dir;
  std::barrier<> burst_end;  // all threads pause together between bursts
  std::unique_ptr<Client> client;
  std::mutex mu;
  std::condition_variable all_published;
  int published = 0;                   // guarded by mu
  std::vector<uint32_t> latencies_ns;  // all threads' samples, guarded by mu
  int64_t refused = 0;                 // guarded by mu
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

void SetUpRun(benchmark::State& state, bool durable_records = false) {
  if (state.thread_index() != 0) return;
  current_run = new Run(state.threads());
  Options options = BenchOptions(current_run->dir.path(), std::make_shared<AckTransport>());
  options.durable_records = durable_records;
  current_run->client = MakeSignedInClient(std::move(options));
}

// Context switches of the calling thread while it was being timed: voluntary
// ones mean a record call blocked (a lock or a wait), involuntary ones that
// the scheduler took the core away (2 cores, shared with the SDK's threads).
class SwitchCounter {
 public:
  void Start() { getrusage(RUSAGE_THREAD, &mark_); }
  void Stop() {
    rusage now{};
    getrusage(RUSAGE_THREAD, &now);
    voluntary += now.ru_nvcsw - mark_.ru_nvcsw;
    involuntary += now.ru_nivcsw - mark_.ru_nivcsw;
  }
  void Report(benchmark::State& state) const {  // summed over threads
    state.counters["vol_cs"] = static_cast<double>(voluntary);
    state.counters["invol_cs"] = static_cast<double>(involuntary);
  }
  long voluntary = 0, involuntary = 0;

 private:
  rusage mark_{};
};

// Between bursts, untimed: every thread stops, thread 0 waits until the
// writer has taken everything queued, then all go on together (so each
// thread's timed intervals are the same wall-clock bursts).
void DrainQueue(benchmark::State& state, Client& client, SwitchCounter& switches) {
  switches.Stop();
  state.PauseTiming();
  current_run->burst_end.arrive_and_wait();
  if (state.thread_index() == 0) {
    while (true) {
      Stats stats = client.GetStats();
      if (stats.recorded - stats.persisted <= 1024) break;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  current_run->burst_end.arrive_and_wait();
  state.ResumeTiming();
  switches.Start();
}

// Called by every thread after its loop: hands over its samples; thread 0
// waits for the others, then computes the counters and tears the run down.
void FinishRun(benchmark::State& state, std::vector<uint32_t>& samples, int64_t accepted,
               int64_t refused) {
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
  if (!run.latencies_ns.empty()) {
    std::vector<uint32_t>& all = run.latencies_ns;
    state.counters["p50_ns"] = Percentile(all, 50);
    state.counters["p90_ns"] = Percentile(all, 90);
    state.counters["p99_ns"] = Percentile(all, 99);
    state.counters["p99.9_ns"] = Percentile(all, 99.9);
    state.counters["max_us"] = Percentile(all, 100) / 1000.0;
    state.counters["clock_ns"] = ClockPairCostNs();
  }
  state.counters["dropped"] = static_cast<double>(run.refused);
  run.client.reset();  // Shutdown: the writer drains the queue (not timed)
  delete current_run;
  current_run = nullptr;
}

// One record call, its duration (clock reads included) appended to `samples`.
absl::Status TimedRecord(Client& client, double value, std::vector<uint32_t>& samples) {
  auto start = SteadyClock::now();
  absl::Status s = RecordOne(client, value);
  auto end = SteadyClock::now();
  samples.push_back(static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count()));
  return s;
}

template <bool kTimeEachCall, bool kBursts, bool kDurable = false>
void RecordLoop(benchmark::State& state) {
  SetUpRun(state, kDurable);
  std::vector<uint32_t> samples;
  if (kTimeEachCall) samples.reserve(static_cast<size_t>(state.max_iterations));
  const int64_t burst = kBurst / state.threads();
  int64_t accepted = 0, refused = 0, in_burst = 0;
  double value = 0;
  SwitchCounter switches;
  bool first = true;
  for (auto _ : state) {
    Client& client = *current_run->client;
    if (first) {
      switches.Start();
      first = false;
    }
    if (kBursts && ++in_burst == burst) {
      DrainQueue(state, client, switches);
      in_burst = 0;
    }
    absl::Status s =
        kTimeEachCall ? TimedRecord(client, ++value, samples) : RecordOne(client, ++value);
    ++(s.ok() ? accepted : refused);
  }
  switches.Stop();
  switches.Report(state);
  FinishRun(state, samples, accepted, refused);
}

void BM_RecordLatency(benchmark::State& state) { RecordLoop<true, true>(state); }
BENCHMARK(BM_RecordLatency)->Threads(1)->Iterations(kCallsPerRun)->UseRealTime();
BENCHMARK(BM_RecordLatency)->Threads(4)->Iterations(kCallsPerRun / 4)->UseRealTime();

void BM_RecordThroughput(benchmark::State& state) { RecordLoop<false, true>(state); }
BENCHMARK(BM_RecordThroughput)->Threads(1)->Iterations(kCallsPerRun)->UseRealTime();
BENCHMARK(BM_RecordThroughput)->Threads(4)->Iterations(kCallsPerRun / 4)->UseRealTime();

void BM_RecordOverload(benchmark::State& state) { RecordLoop<true, false>(state); }
BENCHMARK(BM_RecordOverload)->Iterations(kCallsPerRun)->UseRealTime();

// Options::durable_records: each call returns once its event is committed;
// concurrent callers share commits (group commit).
void BM_RecordDurable(benchmark::State& state) { RecordLoop<true, false, true>(state); }
BENCHMARK(BM_RecordDurable)->Threads(1)->Iterations(20'000)->UseRealTime();
BENCHMARK(BM_RecordDurable)->Threads(4)->Iterations(20'000 / 4)->UseRealTime();
BENCHMARK(BM_RecordDurable)->Threads(16)->Iterations(40'000 / 16)->UseRealTime();

void BM_RecordLatencyPaced(benchmark::State& state) {
  SetUpRun(state);
  const auto gap = std::chrono::nanoseconds(1'000'000'000 / state.range(0));
  std::vector<uint32_t> samples;
  samples.reserve(static_cast<size_t>(state.max_iterations));
  int64_t accepted = 0, refused = 0;
  double value = 0;
  SwitchCounter switches;
  auto next = SteadyClock::now();
  bool first = true;
  for (auto _ : state) {
    if (first) {
      switches.Start();
      first = false;
    }
    next += gap;  // the spin is inside Google Benchmark's time: only the counters matter here
    while (SteadyClock::now() < next) {
    }
    Client& client = *current_run->client;
    absl::Status s = TimedRecord(client, ++value, samples);
    ++(s.ok() ? accepted : refused);
  }
  switches.Stop();
  switches.Report(state);
  FinishRun(state, samples, accepted, refused);
}
// 100,000 calls at 50,000/s: 2 s per run.
BENCHMARK(BM_RecordLatencyPaced)->Arg(50'000)->ArgName("per_s")->Iterations(100'000)->UseRealTime();

}  // namespace
}  // namespace cairn::bench

BENCHMARK_MAIN();
