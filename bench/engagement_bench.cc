// Engagement core at scale: 10,000 accounts, 10 million events.
//
//   build/bench/engagement_bench --benchmark_min_time=0 (each benchmark runs
//   once: the workload is fixed, one pass is the figure)
//
// Workload (deterministic, splitmix64 seed 1): 120 UTC days; 10,000 accounts
// of 20 users; each event picks an account and a user uniformly; 90% logins,
// 10% milestones over 5 names; 95% consented; events arrive day by day,
// in random order within the day, 1% of them one day late (the insert path).
//
// Benchmarks:
//  - BM_Fold10M: folds the 10M events into a fresh Aggregator (the store's
//    incremental daily aggregation, in memory). Event generation is untimed
//    (chunks of 1M, PauseTiming). events/s = fold rate.
//  - BM_SnapshotAll: reads every account's input from the aggregates
//    (what the SQL read will do), 10k accounts.
//  - BM_EngagementAll: ComputeEngagement + EvaluateDrop for the 10k accounts
//    from inputs already read: the computation itself.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/engagement/aggregator.h"
#include "cairn/engagement/drop_rule.h"
#include "cairn/engagement/engagement.h"

namespace cairn::engagement {
namespace {

constexpr int kAccounts = 10'000;
constexpr int kUsersPerAccount = 20;
constexpr int64_t kEvents = 10'000'000;
constexpr int kDays = 120;
constexpr int64_t kChunk = 1'000'000;
constexpr DayIndex kFirstDay = 20400;  // 2025-11-08
const absl::Time kNow = StartOfDay(kFirstDay + kDays - 1) + absl::Hours(23);

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Ids are built once; events point into them.
struct Ids {
  std::vector<std::string> accounts;
  std::vector<std::string> users;  // kAccounts x kUsersPerAccount
  std::vector<std::string> milestones = {"quote_sent", "invoice_sent", "profile_done",
                                         "project_created", "report_shared"};
  Ids() {
    for (int a = 0; a < kAccounts; ++a) {
      accounts.push_back("acct-" + std::to_string(a));
      for (int u = 0; u < kUsersPerAccount; ++u) {
        users.push_back("user-" + std::to_string(a) + "-" + std::to_string(u));
      }
    }
  }
};

const Ids& GetIds() {
  static const Ids* ids = new Ids();
  return *ids;
}

// Generates events [first, first + out.size()) of the workload.
class Workload {
 public:
  void Next(std::vector<Event>& out, int64_t first) {
    const Ids& ids = GetIds();
    for (size_t i = 0; i < out.size(); ++i) {
      const int64_t n = first + static_cast<int64_t>(i);
      const uint64_t r = SplitMix64(rng_);
      const int account = static_cast<int>(r % kAccounts);
      const int user = static_cast<int>((r >> 20) % kUsersPerAccount);
      const int kind = static_cast<int>((r >> 28) % 10);
      const int late = static_cast<int>((r >> 32) % 100);
      const int consent = static_cast<int>((r >> 40) % 100);
      DayIndex day = kFirstDay + n * kDays / kEvents;
      if (late == 0 && day > kFirstDay) --day;
      Event& e = out[i];
      e.account_id = ids.accounts[account];
      e.user_id = ids.users[account * kUsersPerAccount + user];
      e.kind = kind == 0 ? EventKind::kMilestone : EventKind::kLogin;
      e.milestone_name =
          kind == 0 ? std::string_view(ids.milestones[(r >> 48) % 5]) : std::string_view();
      e.value = std::nullopt;
      e.occurred_at = StartOfDay(day) + absl::Seconds(static_cast<int64_t>((r >> 8) % 86400));
      e.consented = consent >= 5;
    }
  }

 private:
  uint64_t rng_ = 1;
};

void FoldAll(Aggregator& agg, benchmark::State* state) {
  Workload workload;
  std::vector<Event> chunk(kChunk);
  for (int64_t first = 0; first < kEvents; first += kChunk) {
    if (state) state->PauseTiming();
    workload.Next(chunk, first);
    if (state) state->ResumeTiming();
    for (const Event& e : chunk) {
      if (!agg.Fold(e).ok()) std::abort();
    }
  }
}

double MaxRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

const Aggregator& Built() {
  static const Aggregator* agg = [] {
    auto* a = new Aggregator();
    FoldAll(*a, nullptr);
    return a;
  }();
  return *agg;
}

AccountConfig ConfigFor(int account) {
  AccountConfig config;
  if (account % 2 == 0) config.seats = 25;  // half the accounts have seats
  config.key_milestones = {"quote_sent", "invoice_sent", "profile_done"};
  return config;
}

void BM_Fold10M(benchmark::State& state) {
  for (auto _ : state) {
    Aggregator agg;
    FoldAll(agg, &state);
    state.counters["folded"] = static_cast<double>(agg.folded());
    state.counters["skipped"] = static_cast<double>(agg.skipped_unconsented());
    benchmark::DoNotOptimize(agg);
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
  state.counters["max_rss_MiB"] = MaxRssMiB();
}
BENCHMARK(BM_Fold10M)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_SnapshotAll(benchmark::State& state) {
  const Aggregator& agg = Built();
  int64_t rows = 0;
  for (auto _ : state) {
    rows = 0;
    for (int a = 0; a < kAccounts; ++a) {
      AccountInput input = agg.Snapshot(GetIds().accounts[a], ConfigFor(a), kNow);
      rows += static_cast<int64_t>(input.login_days.size());
      benchmark::DoNotOptimize(input);
    }
  }
  state.SetItemsProcessed(state.iterations() * kAccounts);
  state.counters["login_rows"] = static_cast<double>(rows);
}
BENCHMARK(BM_SnapshotAll)->Unit(benchmark::kMillisecond);

void BM_EngagementAll(benchmark::State& state) {
  const Aggregator& agg = Built();
  std::vector<AccountInput> inputs;
  for (int a = 0; a < kAccounts; ++a) {
    inputs.push_back(agg.Snapshot(GetIds().accounts[a], ConfigFor(a), kNow));
  }
  const DayIndex today = DayOf(kNow);
  int64_t good = 0;
  int64_t drops = 0;
  for (auto _ : state) {
    good = 0;
    drops = 0;
    for (const AccountInput& input : inputs) {
      const Engagement e = ComputeEngagement(input, kNow);
      const std::vector<AccountDay> days = RollUpDays(input.login_days, today - 48, today);
      auto drop = EvaluateDrop(days, e.milestones.account_first_login, kNow, DropRule{});
      good += e.health.band == Label::kGood;
      drops += drop.ok() && drop->state != DropState::kNone;
      benchmark::DoNotOptimize(e);
    }
  }
  state.SetItemsProcessed(state.iterations() * kAccounts);
  state.counters["good"] = static_cast<double>(good);
  state.counters["drops"] = static_cast<double>(drops);
  state.counters["max_rss_MiB"] = MaxRssMiB();
}
BENCHMARK(BM_EngagementAll)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cairn::engagement

BENCHMARK_MAIN();
