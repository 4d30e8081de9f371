// What both stores hold about a user (value-parameterized: SQLite and
// PostgreSQL, a fresh database per test): every table naming a user is in
// the export, and the retention of the engagement aggregates folds old rows
// into account totals without changing what the engagement formulas read.
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cairn/engagement/aggregates.h"
#include "cairn/engagement/day.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/engagement_store.h"
#include "store/user_data.h"
#include "test_batches.h"
#include "test_database.h"

namespace cairn::collector {
namespace {

using ::cairn::collector::testing::MakeRecord;
using ::cairn::collector::testing::StoreKind;
using ::cairn::collector::testing::StoreSuite;
using ::cairn::engagement::DayOf;
using ::cairn::testing::MakeConsentChange;
using ::cairn::testing::MakeGrant;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::MakeMilestone;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr auto kAnalytics = cairn::v1::PURPOSE_USAGE_ANALYTICS;
constexpr auto kMilestones = cairn::v1::PURPOSE_MILESTONES;
constexpr auto kRenewal = cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS;
constexpr auto kDenied = cairn::v1::CONSENT_DECISION_DENIED;
constexpr absl::Time kT0 = testing::kStoreTestNow;

class CollectorUserDataStoreTest : public StoreSuite {
 protected:
  void Grant(const std::string& user) {
    Write({MakeGrant("acme", user, kAnalytics), MakeGrant("acme", user, kMilestones)});
  }
};

INSTANTIATE_TEST_SUITE_P(CollectorStores, CollectorUserDataStoreTest,
                         ::testing::Values(StoreKind::kSqlite, StoreKind::kPostgres),
                         testing::StoreKindName);

TEST_P(CollectorUserDataStoreTest, TheListOfUserTablesIsTheSchemasAndTheExportFillsEach) {
  const std::string counted =
      db_->kind() == StoreKind::kSqlite
          ? "SELECT count(DISTINCT m.name) FROM sqlite_master m, pragma_table_info(m.name) p "
            "WHERE m.type = 'table' AND p.name IN ('user_id', 'user_hash')"
          // Tables, as SQLite's count: not views (events), not partitions
          // (each month of event_rows).
          : "SELECT count(DISTINCT c.relname) FROM pg_class c JOIN pg_attribute a "
            "ON a.attrelid = c.oid WHERE c.relnamespace = current_schema()::regnamespace "
            "AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
            "AND a.attname IN ('user_id', 'user_hash')";
  EXPECT_EQ(QueryInt(counted), static_cast<int64_t>(kUserDataTables.size()));
  for (std::string_view view : kUserDataTables) {
    const std::string table(view);
    const std::string has_column =
        db_->kind() == StoreKind::kSqlite
            ? absl::StrCat("SELECT count(*) FROM pragma_table_info('", table,
                           "') WHERE name IN ('user_id', 'user_hash')")
            : absl::StrCat(
                  "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                  "current_schema() AND table_name = '",
                  table, "' AND column_name IN ('user_id', 'user_hash')");
    EXPECT_GE(QueryInt(has_column), 1) << table;
  }

  Grant("u1");
  Write({MakeConsentChange("acme", "u1", kRenewal, kDenied, kT0 - absl::Minutes(1)),
         MakeLogin("acme", "u1", kT0), MakeMilestone("acme", "u1", "invoice_sent", 2.0, kT0)});
  absl::StatusOr<UserExport> data = store_->ExportUser("u1", 100);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_THAT(data->events, SizeIs(5u));  // consent changes are events too
  EXPECT_THAT(data->consent_records, SizeIs(3u));
  EXPECT_THAT(data->consent_state, SizeIs(3u));
  ASSERT_EQ(data->suppressions.size(), 1u);
  EXPECT_EQ(data->suppressions[0].account_id, "acme");  // an opt-out holds in its account
  for (const StoredConsentState& state : data->consent_state) EXPECT_EQ(state.account_id, "acme");
  EXPECT_FALSE(data->erased_at.has_value());
  ASSERT_THAT(data->batches, SizeIs(2u));  // the grants', then the others'
  EXPECT_EQ(data->batches[0].install_id, "install-1");
  ASSERT_THAT(data->user_day, SizeIs(1u));
  EXPECT_EQ(data->user_day[0].day, DayOf(kT0));
  EXPECT_EQ(data->user_day[0].logins, 1);
  ASSERT_THAT(data->user_first_login, SizeIs(1u));
  EXPECT_EQ(data->user_first_login[0].first_login, kT0);
  ASSERT_THAT(data->user_milestone, SizeIs(1u));
  EXPECT_EQ(data->user_milestone[0].name, "invoice_sent");
  ASSERT_THAT(data->user_milestone_day, SizeIs(1u));
  EXPECT_DOUBLE_EQ(data->user_milestone_day[0].value_sum, 2.0);

  ASSERT_TRUE(store_->EraseUser("u1", kT0).ok());
  absl::StatusOr<UserExport> erased = store_->ExportUser("u1", 100);
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->erased_at, kT0);
  EXPECT_THAT(erased->user_day, IsEmpty());
  EXPECT_THAT(erased->consent_state, IsEmpty());
}

TEST_P(CollectorUserDataStoreTest, RetentionFoldsOldAggregatesAndTheFiguresStayTheSame) {
  Grant("u1");
  Grant("u2");
  const absl::Time old = kT0 - absl::Hours(24 * 250);
  const absl::Time young = kT0 - absl::Hours(24 * 5);
  Write({MakeLogin("acme", "u1", old), MakeLogin("acme", "u2", old - absl::Hours(24)),
         MakeMilestone("acme", "u1", "invoice_sent", 2.0, old),
         MakeMilestone("acme", "u2", "invoice_sent", 1.0, old),
         MakeMilestone("acme", "u2", "report_shared", std::nullopt, old),
         MakeLogin("acme", "u1", young), MakeMilestone("acme", "u1", "invoice_sent", 3.0, young)});
  EngagementStore tables(store_.get());
  absl::StatusOr<engagement::AccountInput> before = tables.ReadAccountInput("acme", kT0);
  ASSERT_TRUE(before.ok()) << before.status();
  absl::StatusOr<std::vector<engagement::UserMilestoneDay>> days_before =
      tables.ReadMilestoneDays("acme");
  ASSERT_TRUE(days_before.ok()) << days_before.status();

  const absl::Time cutoff = kT0 - absl::Hours(24 * 200);
  absl::StatusOr<AggregatePurge> purged = PurgeAggregatesBefore(*store_, cutoff);
  ASSERT_TRUE(purged.ok()) << purged.status();
  // u1 and u2's first logins, 3 first milestones, 3 milestone days, 2 login days.
  EXPECT_EQ(purged->rows_deleted, 10);
  for (const char* table : {"user_day", "user_milestone_day"}) {
    EXPECT_EQ(
        QueryInt(absl::StrCat("SELECT count(*) FROM ", table, " WHERE day < ", DayOf(cutoff))), 0)
        << table;
  }
  EXPECT_EQ(QueryInt(absl::StrCat("SELECT count(*) FROM user_first_login WHERE first_login_ms < ",
                                  absl::ToUnixMillis(cutoff))),
            0);
  EXPECT_EQ(QueryInt(absl::StrCat("SELECT count(*) FROM user_milestone WHERE first_reached_ms < ",
                                  absl::ToUnixMillis(cutoff))),
            0);

  absl::StatusOr<engagement::AccountInput> after = tables.ReadAccountInput("acme", kT0);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(engagement::AccountFirstLogin(after->first_logins, kT0),
            engagement::AccountFirstLogin(before->first_logins, kT0));
  EXPECT_EQ(engagement::AccountFirstLogin(after->first_logins, kT0), old - absl::Hours(24));
  // First reach per milestone name, over users and folded rows alike.
  auto first_reach = [](const engagement::AccountInput& input) {
    std::map<std::string, absl::Time> out;
    for (const auto& m : input.milestones) {
      auto [it, inserted] = out.emplace(m.name, m.first_reached);
      if (!inserted) it->second = std::min(it->second, m.first_reached);
    }
    return out;
  };
  EXPECT_EQ(first_reach(*after), first_reach(*before));
  // Events and value per (name, day): what goal progress counts.
  auto per_day = [](const std::vector<engagement::UserMilestoneDay>& rows) {
    std::map<std::pair<std::string, int64_t>, std::pair<int64_t, double>> out;
    for (const auto& row : rows) {
      auto& total = out[{row.name, row.day}];
      total.first += row.events;
      total.second += row.value_sum;
    }
    return out;
  };
  absl::StatusOr<std::vector<engagement::UserMilestoneDay>> days_after =
      tables.ReadMilestoneDays("acme");
  ASSERT_TRUE(days_after.ok()) << days_after.status();
  EXPECT_EQ(per_day(*days_after), per_day(*days_before));
  // The folded rows name no user, and the account is still listed.
  for (const auto& row : *days_after) {
    if (row.day < DayOf(cutoff)) {
      EXPECT_EQ(row.user_id, "");
    }
  }
  auto accounts = tables.ListAccountIds();
  ASSERT_TRUE(accounts.ok()) << accounts.status();
  EXPECT_THAT(*accounts, ::testing::ElementsAre("acme"));

  // A second pass folds nothing twice.
  absl::StatusOr<AggregatePurge> again = PurgeAggregatesBefore(*store_, cutoff);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->rows_deleted, 0);
  absl::StatusOr<std::vector<engagement::UserMilestoneDay>> days_again =
      tables.ReadMilestoneDays("acme");
  ASSERT_TRUE(days_again.ok()) << days_again.status();
  EXPECT_EQ(per_day(*days_again), per_day(*days_before));
}

}  // namespace
}  // namespace cairn::collector
