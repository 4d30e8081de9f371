// CPU per event when an app records at a trickle, against the burst cost,
// and the SDK's wake-ups while idle. A whole-process measurement, not a
// Google Benchmark: each figure needs a fixed window of real time.
//
//   trickle_bench [--seconds=N]   (window per rate, default 10)
//
// The SDK runs with its default Options and a transport that acknowledges
// every batch at once (so the collector's cost is left out, the SDK's own
// SQLite commits and batch encoding are in). CPU is the whole process's
// (getrusage RUSAGE_SELF) minus the recording thread's own (RUSAGE_THREAD),
// so sleeping between events is not charged to the SDK. Wake-ups are the
// voluntary context switches of every thread but the main one
// (/proc/self/task/*/status), i.e. the writer and sender loops waking.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/time/clock.h"
#include "bench/bench_support.h"

namespace cairn::bench {
namespace {

double CpuSeconds(int who) {
  rusage usage{};
  getrusage(who, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// CPU of every thread but the calling one, in seconds.
double SdkCpuSeconds() { return CpuSeconds(RUSAGE_SELF) - CpuSeconds(RUSAGE_THREAD); }

// Voluntary context switches of every thread of this process but the main one.
uint64_t SdkWakeups() {
  uint64_t total = 0;
  const std::string main_tid = std::to_string(getpid());
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    if (task.path().filename() == main_tid) continue;
    std::ifstream status(task.path() / "status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0) {
        total += std::strtoull(line.c_str() + 24, nullptr, 10);
      }
    }
  }
  return total;
}

// Records at `rate` events per second for `window`; returns SDK CPU per event in us.
double TrickleCost(Client& client, int rate, absl::Duration window, uint64_t& wakeups) {
  const absl::Duration gap = absl::Seconds(1) / rate;
  const double cpu_before = SdkCpuSeconds();
  const uint64_t wake_before = SdkWakeups();
  const absl::Time start = absl::Now();
  int64_t events = 0;
  for (absl::Time next = start; next < start + window; next += gap) {
    absl::SleepFor(next - absl::Now());
    if (RecordOne(client, static_cast<double>(events)).ok()) ++events;
  }
  if (!client.Flush(absl::Now() + absl::Seconds(30)).ok()) std::fprintf(stderr, "flush failed\n");
  wakeups = SdkWakeups() - wake_before;
  return (SdkCpuSeconds() - cpu_before) * 1e6 / static_cast<double>(events);
}

// A burst of `n` events in a tight loop, delivered; SDK CPU per event in us.
double BurstCost(Client& client, int n) {
  const double cpu_before = SdkCpuSeconds() + CpuSeconds(RUSAGE_THREAD);
  for (int i = 0; i < n; ++i) RecordOne(client, i).IgnoreError();
  if (!client.Flush(absl::Now() + absl::Seconds(60)).ok()) std::fprintf(stderr, "flush failed\n");
  // Here the recording thread's own CPU is the record path's: counted too.
  return (SdkCpuSeconds() + CpuSeconds(RUSAGE_THREAD) - cpu_before) * 1e6 / n;
}

int Main(int argc, char** argv) {
  int seconds = 10;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--seconds=", 0) == 0) {
      seconds = std::atoi(arg.c_str() + 10);
    } else {
      std::fprintf(stderr, "usage: %s [--seconds=N]\n", argv[0]);
      return 2;
    }
  }
  const absl::Duration window = absl::Seconds(seconds);
  TempDir dir("cairn-trickle");
  auto client = MakeSignedInClient(BenchOptions(dir.path(), std::make_shared<AckTransport>()));
  BurstCost(*client, 20000);  // warm up: the buffer file, SQLite's caches
  const double burst = BurstCost(*client, 100000);
  std::printf("burst      : %8.2f us CPU per event (100000 events, tight loop)\n", burst);
  for (int rate : {10, 100, 1000}) {
    uint64_t wakeups = 0;
    const double cost = TrickleCost(*client, rate, window, wakeups);
    std::printf("%5d ev/s : %8.2f us CPU per event (%.1fx burst), %.0f SDK wake-ups/s\n", rate,
                cost, cost / burst, static_cast<double>(wakeups) / seconds);
  }
  const uint64_t idle_before = SdkWakeups();
  const double idle_cpu_before = SdkCpuSeconds();
  absl::SleepFor(window);
  std::printf("idle       : %.1f SDK wake-ups per minute, %.3f ms CPU per minute\n",
              static_cast<double>(SdkWakeups() - idle_before) * 60 / seconds,
              (SdkCpuSeconds() - idle_cpu_before) * 1e3 * 60 / seconds);
  return client->Shutdown(absl::Now() + absl::Seconds(10)).ok() ? 0 : 1;
}

}  // namespace
}  // namespace cairn::bench

int main(int argc, char** argv) { return cairn::bench::Main(argc, argv); }
