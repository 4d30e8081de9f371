#include "cairn/engagement/aggregator.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "fixtures.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cairn::engagement {
namespace {

using testing::At;
using testing::kNow;
using testing::kToday;

Event Login(std::string_view account, std::string_view user, absl::Time at, bool consented = true) {
  return Event{account, user, EventKind::kLogin, {}, std::nullopt, at, consented};
}

Event Milestone(std::string_view account, std::string_view user, std::string_view name,
                absl::Time at, std::optional<double> value = std::nullopt) {
  return Event{account, user, EventKind::kMilestone, name, value, at, true};
}

// Login rows as sortable tuples (user, day offset, logins).
std::vector<std::tuple<std::string, DayIndex, int64_t>> Rows(const AccountInput& input) {
  std::vector<std::tuple<std::string, DayIndex, int64_t>> out;
  for (const auto& r : input.login_days) out.emplace_back(r.user_id, r.day - kToday, r.logins);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(DayTest, DayOfFloorsToUtcMidnight) {
  EXPECT_EQ(DayOf(At(0, 0)), kToday);
  EXPECT_EQ(DayOf(At(0, 0) - absl::Seconds(1)), kToday - 1);
  EXPECT_EQ(DayOf(At(0, 23) + absl::Minutes(59)), kToday);
  EXPECT_EQ(DayOf(absl::UnixEpoch() - absl::Seconds(1)), -1);
  EXPECT_EQ(StartOfDay(kToday), At(0, 0));
}

TEST(AggregatorTest, FoldsLoginsPerUserAndDay) {
  Aggregator agg;
  ASSERT_TRUE(agg.Fold(Login("acme", "ann", At(0, 9))).ok());
  ASSERT_TRUE(agg.Fold(Login("acme", "ann", At(0, 11))).ok());
  ASSERT_TRUE(agg.Fold(Login("acme", "bob", At(0, 8))).ok());
  ASSERT_TRUE(agg.Fold(Login("acme", "ann", At(-1, 7))).ok());  // out of order
  ASSERT_TRUE(agg.Fold(Login("acme", "ann", At(-3, 7))).ok());  // inserted before
  ASSERT_TRUE(agg.Fold(Login("acme", "ann", At(-2, 7))).ok());  // inserted between
  const AccountInput input = agg.Snapshot("acme", {}, kNow);
  EXPECT_THAT(Rows(input),
              ::testing::ElementsAre(std::tuple{"ann", -3, 1}, std::tuple{"ann", -2, 1},
                                     std::tuple{"ann", -1, 1}, std::tuple{"ann", 0, 2},
                                     std::tuple{"bob", 0, 1}));
  ASSERT_EQ(input.first_logins.size(), 2u);
  for (const auto& f : input.first_logins) {
    EXPECT_EQ(f.first_login, f.user_id == "ann" ? At(-3, 7) : At(0, 8)) << f.user_id;
  }
  EXPECT_EQ(agg.folded(), 6);
  EXPECT_EQ(agg.skipped_unconsented(), 0);
}

TEST(AggregatorTest, SkipsUnconsentedEvents) {
  Aggregator agg;
  ASSERT_TRUE(agg.Fold(Login("acme", "ann", At(0), /*consented=*/false)).ok());
  EXPECT_EQ(agg.skipped_unconsented(), 1);
  EXPECT_EQ(agg.folded(), 0);
  EXPECT_TRUE(agg.Snapshot("acme", {}, kNow).login_days.empty());
  EXPECT_TRUE(agg.AccountIds().empty());
}

TEST(AggregatorTest, RefusesMalformedEvents) {
  Aggregator agg;
  EXPECT_EQ(agg.Fold(Login("", "ann", At(0))).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(agg.Fold(Login("acme", "", At(0))).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(agg.Fold(Milestone("acme", "ann", "", At(0))).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(agg.Fold(Login("acme", "ann", absl::InfiniteFuture())).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(agg.folded(), 0);
  EXPECT_TRUE(agg.AccountIds().empty());
}

TEST(AggregatorTest, MilestonesKeepFirstReachAndDailyCounts) {
  Aggregator agg;
  ASSERT_TRUE(agg.Fold(Milestone("acme", "ann", "invoice_sent", At(-1, 15), 3.0)).ok());
  ASSERT_TRUE(agg.Fold(Milestone("acme", "ann", "invoice_sent", At(-1, 9))).ok());
  ASSERT_TRUE(agg.Fold(Milestone("acme", "ann", "invoice_sent", At(-5, 9), 2.5)).ok());
  ASSERT_TRUE(agg.Fold(Milestone("acme", "bob", "invoice_sent", At(0, 9))).ok());
  const AccountInput input = agg.Snapshot("acme", {}, kNow);
  ASSERT_EQ(input.milestones.size(), 2u);
  for (const auto& m : input.milestones) {
    EXPECT_EQ(m.name, "invoice_sent");
    EXPECT_EQ(m.first_reached, m.user_id == "ann" ? At(-5, 9) : At(0, 9)) << m.user_id;
  }
  // Milestones alone make no login rows.
  EXPECT_TRUE(input.login_days.empty());
  EXPECT_TRUE(input.first_logins.empty());
  std::vector<UserMilestoneDay> days = agg.MilestoneDays("acme");
  std::sort(days.begin(), days.end(), [](const auto& a, const auto& b) {
    return std::tie(a.user_id, a.day) < std::tie(b.user_id, b.day);
  });
  ASSERT_EQ(days.size(), 3u);
  EXPECT_EQ(days[0].user_id, "ann");
  EXPECT_EQ(days[0].day, kToday - 5);
  EXPECT_EQ(days[0].events, 1);
  EXPECT_DOUBLE_EQ(days[0].value_sum, 2.5);
  EXPECT_EQ(days[1].day, kToday - 1);
  EXPECT_EQ(days[1].events, 2);
  EXPECT_DOUBLE_EQ(days[1].value_sum, 3.0);  // the event without a value adds 0
  EXPECT_EQ(days[2].user_id, "bob");
  EXPECT_EQ(days[2].events, 1);
}

TEST(AggregatorTest, SnapshotKeepsOnlyTheHistoryWindowUpToToday) {
  Aggregator agg;
  ASSERT_TRUE(agg.Fold(Login("acme", "ann", At(-(kHistoryDays - 1)))).ok());  // oldest kept
  ASSERT_TRUE(agg.Fold(Login("acme", "ann", At(-kHistoryDays))).ok());        // too old
  ASSERT_TRUE(agg.Fold(Login("acme", "ann", At(1))).ok());                    // clock ahead
  const AccountInput input = agg.Snapshot("acme", {.seats = 7, .key_milestones = {"a"}}, kNow);
  EXPECT_THAT(Rows(input), ::testing::ElementsAre(std::tuple{"ann", -102, 1}));
  EXPECT_EQ(input.seats, 7);
  EXPECT_THAT(input.key_milestones, ::testing::ElementsAre("a"));
  // The first login is kept whatever its age: time to value measures from it.
  ASSERT_EQ(input.first_logins.size(), 1u);
  EXPECT_EQ(input.first_logins[0].first_login, At(-kHistoryDays));
}

TEST(AggregatorTest, RemoveUserErasesEveryContributionInEveryAccount) {
  Aggregator agg;
  ASSERT_TRUE(agg.Fold(Login("acme", "ann", At(0))).ok());
  ASSERT_TRUE(agg.Fold(Milestone("acme", "ann", "quote_sent", At(0))).ok());
  ASSERT_TRUE(agg.Fold(Login("acme", "bob", At(0))).ok());
  ASSERT_TRUE(agg.Fold(Login("globex", "ann", At(-1))).ok());
  EXPECT_EQ(agg.RemoveUser("ann"), 2);
  const AccountInput acme = agg.Snapshot("acme", {}, kNow);
  EXPECT_THAT(Rows(acme), ::testing::ElementsAre(std::tuple{"bob", 0, 1}));
  EXPECT_TRUE(acme.milestones.empty());
  EXPECT_THAT(agg.AccountIds(), ::testing::ElementsAre("acme"));  // globex had only ann
  EXPECT_EQ(agg.RemoveUser("ann"), 0);
}

TEST(AggregatorTest, RemovePurposeDropsOnlyThatPurposesRows) {
  Aggregator agg;
  ASSERT_TRUE(agg.Fold(Login("acme", "ann", At(0))).ok());
  ASSERT_TRUE(agg.Fold(Milestone("acme", "ann", "quote_sent", At(0))).ok());
  EXPECT_EQ(agg.RemovePurpose("ann", consent::Purpose::kRenewalNotifications), 0);
  EXPECT_EQ(agg.RemovePurpose("ann", consent::Purpose::kUsageAnalytics), 1);
  AccountInput input = agg.Snapshot("acme", {}, kNow);
  EXPECT_TRUE(input.login_days.empty());
  EXPECT_TRUE(input.first_logins.empty());
  EXPECT_EQ(input.milestones.size(), 1u);
  EXPECT_EQ(agg.RemovePurpose("ann", consent::Purpose::kUsageAnalytics), 0);
  EXPECT_EQ(agg.RemovePurpose("ann", consent::Purpose::kMilestones), 1);
  EXPECT_TRUE(agg.Snapshot("acme", {}, kNow).milestones.empty());
  EXPECT_TRUE(agg.MilestoneDays("acme").empty());
  EXPECT_TRUE(agg.AccountIds().empty());
}

TEST(AggregatesTest, RollUpDaysSumsLoginsAndCountsUsers) {
  const std::vector<UserDayLogins> rows = {
      {"ann", kToday, 2}, {"bob", kToday, 3}, {"ann", kToday - 1, 1}, {"ann", kToday - 9, 4}};
  const std::vector<AccountDay> days = RollUpDays(rows, kToday - 5, kToday);
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].day, kToday - 1);
  EXPECT_EQ(days[0].logins, 1);
  EXPECT_EQ(days[0].active_users, 1);
  EXPECT_EQ(days[1].day, kToday);
  EXPECT_EQ(days[1].logins, 5);
  EXPECT_EQ(days[1].active_users, 2);
  EXPECT_EQ(LoginsBetween(days, kToday - 1, kToday - 1), 1);
}

TEST(AggregatesTest, AccountFirstLoginIgnoresFutureEntries) {
  const std::vector<UserFirstLogin> rows = {{"ann", At(-3)}, {"bob", At(-5)}, {"eve", At(2)}};
  EXPECT_EQ(AccountFirstLogin(rows, kNow), At(-5));
  EXPECT_EQ(AccountFirstLogin(std::vector<UserFirstLogin>{{"eve", At(2)}}, kNow), std::nullopt);
}

}  // namespace
}  // namespace cairn::engagement
