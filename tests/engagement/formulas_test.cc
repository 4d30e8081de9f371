// Frequency, trend, breadth and milestones, each pinned on hand-computed
// fixtures (days are offsets from fixtures.h's today).
#include <vector>

#include "cairn/engagement/breadth.h"
#include "cairn/engagement/frequency.h"
#include "cairn/engagement/milestones.h"
#include "cairn/engagement/trend.h"
#include "fixtures.h"
#include "gtest/gtest.h"

namespace cairn::engagement {
namespace {

using testing::At;
using testing::kNow;
using testing::kToday;

AccountDay Day(int offset, int64_t logins) { return {kToday + offset, logins, 1}; }

TEST(FrequencyTest, CountsAccountLoginDaysInTheLast14) {
  // In: 0, -1, -13. Out: -14 (too old), +1 (clock ahead), -2 (no login).
  const std::vector<AccountDay> days = {Day(0, 5),   Day(-1, 1), Day(-13, 2),
                                        Day(-14, 9), Day(1, 3),  Day(-2, 0)};
  EXPECT_EQ(LoginDays14(days, kNow), 3);
  EXPECT_EQ(BandForLoginDays(3), FrequencyBand::kOccasional);
}

TEST(FrequencyTest, ChurnZeroBands) {
  EXPECT_EQ(BandForLoginDays(0), FrequencyBand::kInactive);
  EXPECT_EQ(BandForLoginDays(1), FrequencyBand::kInactive);
  EXPECT_EQ(BandForLoginDays(2), FrequencyBand::kOccasional);
  EXPECT_EQ(BandForLoginDays(4), FrequencyBand::kOccasional);
  EXPECT_EQ(BandForLoginDays(5), FrequencyBand::kWeekly);
  EXPECT_EQ(BandForLoginDays(8), FrequencyBand::kWeekly);
  EXPECT_EQ(BandForLoginDays(9), FrequencyBand::kDaily);
  EXPECT_EQ(BandForLoginDays(14), FrequencyBand::kDaily);
  EXPECT_EQ(FrequencyBandName(FrequencyBand::kWeekly), "weekly");
}

TEST(TrendTest, ThisWeekAgainstMeanOfPreviousFourWeeks) {
  // This week [-6, 0]: 3 + 4 = 7. Baseline [-34, -7]: 10 + 30 = 40, mean 10.
  // Day -35 (before the baseline) and +1 (future) do not count.
  const std::vector<AccountDay> days = {Day(0, 3),    Day(-6, 4),    Day(-7, 10),
                                        Day(-34, 30), Day(-35, 100), Day(1, 50)};
  const Trend trend = ComputeTrend(days, At(-40), kNow);
  EXPECT_EQ(trend.status, TrendStatus::kMeasured);
  EXPECT_EQ(trend.this_week, 7);
  EXPECT_EQ(trend.baseline_logins, 40);
  EXPECT_DOUBLE_EQ(trend.baseline_mean, 10.0);
  ASSERT_TRUE(trend.ratio.has_value());
  EXPECT_DOUBLE_EQ(*trend.ratio, 0.7);
}

TEST(TrendTest, NewAccountHasNoTrend) {
  const std::vector<AccountDay> days = {Day(0, 3), Day(-20, 10)};
  // First login on day -33: the baseline's first day -34 precedes it.
  const Trend young = ComputeTrend(days, At(-33), kNow);
  EXPECT_EQ(young.status, TrendStatus::kNewAccount);
  EXPECT_FALSE(young.ratio.has_value());
  EXPECT_EQ(young.this_week, 3);
  // First login on day -34 exactly: the baseline is all history.
  const Trend old_enough = ComputeTrend(days, At(-34), kNow);
  EXPECT_EQ(old_enough.status, TrendStatus::kMeasured);
  EXPECT_DOUBLE_EQ(*old_enough.ratio, 3 / 2.5);
  EXPECT_EQ(ComputeTrend(days, std::nullopt, kNow).status, TrendStatus::kNewAccount);
}

TEST(TrendTest, ZeroBaselineIsNotMeasured) {
  const std::vector<AccountDay> days = {Day(0, 3)};
  const Trend trend = ComputeTrend(days, At(-60), kNow);
  EXPECT_EQ(trend.status, TrendStatus::kNoBaseline);
  EXPECT_FALSE(trend.ratio.has_value());
  EXPECT_EQ(trend.this_week, 3);
}

TEST(BreadthTest, ActiveUsersAgainstSeats) {
  AccountInput input;
  input.seats = 4;
  input.login_days = {{"ann", kToday, 1},
                      {"bob", kToday - 13, 2},
                      {"cid", kToday - 14, 1},
                      {"ann", kToday - 2, 1},
                      {"dan", kToday + 1, 1}};
  const Breadth breadth = ComputeBreadth(input, kNow);
  EXPECT_EQ(breadth.basis, BreadthBasis::kSeats);
  EXPECT_EQ(breadth.active_users, 2);  // ann, bob; cid too old, dan in the future
  EXPECT_EQ(breadth.denominator, 4);
  EXPECT_DOUBLE_EQ(breadth.ratio, 0.5);
}

TEST(BreadthTest, MoreActiveUsersThanSeatsCapsAtOne) {
  AccountInput input;
  input.seats = 1;
  input.login_days = {{"ann", kToday, 1}, {"bob", kToday, 1}};
  EXPECT_DOUBLE_EQ(ComputeBreadth(input, kNow).ratio, 1.0);
}

TEST(BreadthTest, WithoutSeatsAgainstNinetyDayPeak) {
  AccountInput input;
  input.seats = 0;  // not set
  // Four users on day -50 (peak 4 for windows ending -50..-37); only ann now.
  input.login_days = {{"ann", kToday - 50, 1},
                      {"bob", kToday - 50, 1},
                      {"cid", kToday - 50, 1},
                      {"dan", kToday - 50, 1},
                      {"ann", kToday - 5, 1}};
  const Breadth breadth = ComputeBreadth(input, kNow);
  EXPECT_EQ(breadth.basis, BreadthBasis::kPeak);
  EXPECT_EQ(breadth.active_users, 1);
  EXPECT_EQ(breadth.denominator, 4);
  EXPECT_DOUBLE_EQ(breadth.ratio, 0.25);
}

TEST(BreadthTest, NoActivityAndNoSeatsGivesZero) {
  const Breadth breadth = ComputeBreadth(AccountInput{}, kNow);
  EXPECT_EQ(breadth.denominator, 0);
  EXPECT_DOUBLE_EQ(breadth.ratio, 0.0);
}

TEST(PeakTest, WindowEdges) {
  // Day -102 is in the window ending -89, the oldest of the 90; -103 is not.
  EXPECT_EQ(PeakActiveUsers14(std::vector<UserDayLogins>{{"x", kToday - 102, 1}}, kNow), 1);
  EXPECT_EQ(PeakActiveUsers14(std::vector<UserDayLogins>{{"y", kToday - 103, 1}}, kNow), 0);
  EXPECT_EQ(PeakActiveUsers14(std::vector<UserDayLogins>{{"z", kToday + 1, 1}}, kNow), 0);
}

TEST(PeakTest, AUserCountsOncePerWindow) {
  const std::vector<UserDayLogins> rows = {{"ann", kToday - 20, 1}, {"ann", kToday - 15, 3}};
  EXPECT_EQ(PeakActiveUsers14(rows, kNow), 1);
}

TEST(PeakTest, UsersOverlapOnlyWithinFourteenDays) {
  // ann is active in windows ending -30..-17, bob in -17..-4: both on -17.
  EXPECT_EQ(PeakActiveUsers14(
                std::vector<UserDayLogins>{{"ann", kToday - 30, 1}, {"bob", kToday - 17, 1}}, kNow),
            2);
  // bob one day later (-16..-3): never together.
  EXPECT_EQ(PeakActiveUsers14(
                std::vector<UserDayLogins>{{"ann", kToday - 30, 1}, {"bob", kToday - 16, 1}}, kNow),
            1);
}

TEST(MilestonesTest, ReachedTimeToValueAndAdoption) {
  AccountInput input;
  input.key_milestones = {"quote_sent", "invoice_sent", "profile_done", "quote_sent"};
  // Account's first login: ann on day -20 at 09:00.
  input.first_logins = {{"ann", At(-20, 9)}, {"bob", At(-10, 9)}};
  input.milestones = {
      {"bob", "quote_sent", At(-10, 10)},
      {"ann", "quote_sent", At(-12, 9)},    // first reach: 8 days after -20 09:00
      {"ann", "invoice_sent", At(-20, 8)},  // before the first login: 0
      {"bob", "other", At(-3)},             // reached, not key
      {"bob", "future", At(2)},             // after now: ignored
  };
  const MilestoneSummary summary = ComputeMilestones(input, kNow);
  EXPECT_EQ(summary.reached, 3);  // quote_sent, invoice_sent, other
  EXPECT_EQ(summary.account_first_login, At(-20, 9));
  ASSERT_EQ(summary.key.size(), 3u);  // the repeated name counts once
  EXPECT_EQ(summary.key[0].name, "quote_sent");
  EXPECT_EQ(summary.key[0].first_reached, At(-12, 9));
  EXPECT_EQ(summary.key[0].time_to_value, absl::Hours(24 * 8));
  EXPECT_EQ(summary.key[1].name, "invoice_sent");
  EXPECT_EQ(summary.key[1].time_to_value, absl::ZeroDuration());
  EXPECT_EQ(summary.key[2].name, "profile_done");
  EXPECT_FALSE(summary.key[2].first_reached.has_value());
  EXPECT_FALSE(summary.key[2].time_to_value.has_value());
  EXPECT_EQ(summary.key_reached, 2);
  ASSERT_TRUE(summary.adoption.has_value());
  EXPECT_DOUBLE_EQ(*summary.adoption, 2.0 / 3.0);
}

TEST(MilestonesTest, NoKeyMilestonesNoAdoption) {
  AccountInput input;
  input.milestones = {{"ann", "quote_sent", At(-1)}};
  const MilestoneSummary summary = ComputeMilestones(input, kNow);
  EXPECT_EQ(summary.reached, 1);
  EXPECT_FALSE(summary.adoption.has_value());
  EXPECT_FALSE(summary.account_first_login.has_value());
}

TEST(MilestonesTest, NoLoginMeansNoTimeToValue) {
  AccountInput input;
  input.key_milestones = {"quote_sent"};
  input.milestones = {{"ann", "quote_sent", At(-1)}};
  const MilestoneSummary summary = ComputeMilestones(input, kNow);
  EXPECT_EQ(summary.key_reached, 1);
  EXPECT_FALSE(summary.key[0].time_to_value.has_value());
  EXPECT_DOUBLE_EQ(*summary.adoption, 1.0);
}

}  // namespace
}  // namespace cairn::engagement
