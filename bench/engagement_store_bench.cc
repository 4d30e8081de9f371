// Engagement from the store at scale: 10,000 accounts, 10 million
// events, computed the way the collector serves GET /v1/accounts and runs
// the usage-drop evaluation: reading each account's daily aggregates from a
// real SQLite store, then cairn::engagement.
//
//   build/bench/engagement_store_bench [--accounts=10000] [--events=10000000]
//                                      [--db=PATH]
//
// Steps (each timed with a wall clock and printed):
//  1. fill: the workload of bench/engagement_bench.cc (120 UTC days, 20 users
//     per account, 90% logins / 10% milestones, 95% consented; splitmix64
//     seed 1) is folded in memory by engagement::Aggregator (the reference of
//     the store's per-event upserts), and the resulting aggregate rows (the
//     kHistoryDays login days the formulas read, all first logins,
//     milestones and milestone days) are inserted directly into the store's
//     four aggregate tables in big transactions. Not the ingest path (its
//     upserts run per stored event, at ingest; see docs/performance.md).
//  2. compute all: AccountHealth::ComputeAll (what GET /v1/accounts does:
//     list accounts, read each account's rows, ComputeEngagement, sort).
//  3. evaluate all: AlertEvaluator::EvaluateAll (reads + EvaluateDrop +
//     episode read per account).
// Never run by ctest. The full size takes minutes on a 2-core machine (the
// fill dominates); --accounts=1000 --events=1000000 is a quick smoke run.
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_flags.h"
#include "cairn/common/clock.h"
#include "cairn/common/sqlite.h"
#include "cairn/engagement/aggregator.h"
#include "store/sqlite/sqlite_store.h"
#include "success/account_health.h"
#include "success/alert_evaluator.h"

namespace cairn::collector {
namespace {

using engagement::DayIndex;

constexpr int kUsersPerAccount = 20;
constexpr int kDays = 120;
constexpr DayIndex kFirstDay = 20400;  // 2025-11-08

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

double MaxRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

using bench::Check;
using bench::FlagText;
using bench::FlagValue;

int Main(int argc, char** argv) {
  const int accounts = static_cast<int>(FlagValue(argc, argv, "--accounts", 10000));
  const int64_t events = FlagValue(argc, argv, "--events", 10000000);
  const std::string db = FlagText(argc, argv, "--db", "/tmp/cairn_engagement_store_bench.db");
  if (accounts <= 0 || events <= 0) return 2;
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
  const absl::Time now = engagement::StartOfDay(kFirstDay + kDays - 1) + absl::Hours(23);

  // 1. Fold in memory, then insert the rows.
  auto start = std::chrono::steady_clock::now();
  engagement::Aggregator agg;
  {
    std::vector<std::string> account_ids, user_ids;
    for (int a = 0; a < accounts; ++a) {
      account_ids.push_back("acct-" + std::to_string(a));
      for (int u = 0; u < kUsersPerAccount; ++u) {
        user_ids.push_back("user-" + std::to_string(a) + "-" + std::to_string(u));
      }
    }
    const std::string milestones[] = {"quote_sent", "invoice_sent", "profile_done",
                                      "project_created", "report_shared"};
    uint64_t rng = 1;
    for (int64_t n = 0; n < events; ++n) {
      const uint64_t r = SplitMix64(rng);
      const int account = static_cast<int>(r % static_cast<uint64_t>(accounts));
      const int user = static_cast<int>((r >> 20) % kUsersPerAccount);
      const bool milestone = (r >> 28) % 10 == 0;
      DayIndex day = kFirstDay + n * kDays / events;
      if ((r >> 32) % 100 == 0 && day > kFirstDay) --day;
      engagement::Event e;
      e.account_id = account_ids[static_cast<size_t>(account)];
      e.user_id = user_ids[static_cast<size_t>(account * kUsersPerAccount + user)];
      e.kind = milestone ? engagement::EventKind::kMilestone : engagement::EventKind::kLogin;
      if (milestone) e.milestone_name = milestones[(r >> 48) % 5];
      e.occurred_at =
          engagement::StartOfDay(day) + absl::Seconds(static_cast<int64_t>((r >> 8) % 86400));
      e.consented = (r >> 40) % 100 >= 5;
      Check(agg.Fold(e), "fold");
    }
  }
  const double fold_s = Seconds(start);

  start = std::chrono::steady_clock::now();
  int64_t login_rows = 0, milestone_day_rows = 0;
  {
    auto store = SqliteStore::Open(db);  // creates the schema
    Check(store.status(), "open");
    store->reset();
    sqlite::OpenOptions options;
    options.wal = true;
    options.synchronous_full = false;
    auto conn = sqlite::Database::Open(db, options);
    Check(conn.status(), "open for fill");
    sqlite::Database& d = **conn;
    auto day_stmt = d.Prepare("INSERT INTO user_day VALUES (?1, ?2, ?3, ?4)");
    auto first_stmt = d.Prepare("INSERT INTO user_first_login VALUES (?1, ?2, ?3)");
    auto ms_stmt = d.Prepare("INSERT INTO user_milestone VALUES (?1, ?2, ?3, ?4)");
    auto msd_stmt = d.Prepare("INSERT INTO user_milestone_day VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    auto settings_stmt = d.Prepare(
        "INSERT INTO account_settings "
        "(account_id, seats, renewal_day, key_milestones, updated_at_ms) VALUES (?1, ?2, NULL, "
        "'quote_sent\ninvoice_sent\nprofile_done', 0)");
    Check(day_stmt.status(), "prepare");
    Check(first_stmt.status(), "prepare");
    Check(ms_stmt.status(), "prepare");
    Check(msd_stmt.status(), "prepare");
    Check(settings_stmt.status(), "prepare");
    Check(d.Exec("BEGIN"), "begin");
    for (int a = 0; a < accounts; ++a) {
      const std::string id = "acct-" + std::to_string(a);
      engagement::AccountInput input = agg.Snapshot(id, {}, now);
      for (const auto& row : input.login_days) {
        day_stmt->Bind(1, id).Bind(2, row.user_id).Bind(3, row.day).Bind(4, row.logins);
        Check(day_stmt->Run(), "insert user_day");
        ++login_rows;
      }
      for (const auto& row : input.first_logins) {
        first_stmt->Bind(1, id).Bind(2, row.user_id).Bind(3, absl::ToUnixMillis(row.first_login));
        Check(first_stmt->Run(), "insert user_first_login");
      }
      for (const auto& row : input.milestones) {
        ms_stmt->Bind(1, id)
            .Bind(2, row.user_id)
            .Bind(3, row.name)
            .Bind(4, absl::ToUnixMillis(row.first_reached));
        Check(ms_stmt->Run(), "insert user_milestone");
      }
      for (const auto& row : agg.MilestoneDays(id)) {
        msd_stmt->Bind(1, id)
            .Bind(2, row.user_id)
            .Bind(3, row.name)
            .Bind(4, row.day)
            .Bind(5, row.events)
            .Bind(6, row.value_sum);
        Check(msd_stmt->Run(), "insert user_milestone_day");
        ++milestone_day_rows;
      }
      if (a % 2 == 0) {  // half the accounts have seats, all three key milestones
        settings_stmt->Bind(1, id).Bind(2, int64_t{25});
        Check(settings_stmt->Run(), "insert account_settings");
      }
      if (a % 500 == 499) {
        Check(d.Exec("COMMIT"), "commit");
        Check(d.Exec("BEGIN"), "begin");
      }
    }
    Check(d.Exec("COMMIT"), "commit");
  }
  const double insert_s = Seconds(start);

  // 2. and 3. from a freshly opened store, as the collector would.
  auto store = SqliteStore::Open(db);
  Check(store.status(), "reopen");
  ManualClock clock(now);
  start = std::chrono::steady_clock::now();
  AccountHealth health(store->get());
  auto views = health.ComputeAll(now);
  Check(views.status(), "compute all");
  const double compute_s = Seconds(start);
  start = std::chrono::steady_clock::now();
  AlertEvaluator evaluator(store->get(), &clock, engagement::DropRule{}, false);
  auto counts = evaluator.EvaluateAll();
  Check(counts.status(), "evaluate all");
  const double evaluate_s = Seconds(start);

  std::printf("accounts=%d events=%lld login_rows=%lld milestone_day_rows=%lld\n", accounts,
              static_cast<long long>(events), static_cast<long long>(login_rows),
              static_cast<long long>(milestone_day_rows));
  std::printf("fold_in_memory_s=%.2f insert_aggregates_s=%.2f\n", fold_s, insert_s);
  std::printf("compute_all_s=%.3f (%.1f us/account) riskiest=%s\n", compute_s,
              1e6 * compute_s / accounts,
              views->empty() ? "-" : views->front().engagement.account_id.c_str());
  std::printf("evaluate_all_s=%.3f (%.1f us/account) opened=%lld\n", evaluate_s,
              1e6 * evaluate_s / accounts, static_cast<long long>(counts->opened));
  std::printf("max_rss_mib=%.0f\n", MaxRssMiB());
  store->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
  return 0;
}

}  // namespace
}  // namespace cairn::collector

int main(int argc, char** argv) { return cairn::collector::Main(argc, argv); }
