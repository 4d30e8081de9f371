// Factor scores, labels and the health score, with hand-computed values.
#include "cairn/engagement/health.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "cairn/engagement/long_trend.h"
#include "fixtures.h"
#include "gtest/gtest.h"

namespace cairn::engagement {
namespace {

using testing::At;
using testing::kNow;

absl::Duration Days(double d) { return absl::Hours(24 * d); }

TEST(FactorScoreTest, Frequency) {
  EXPECT_DOUBLE_EQ(FrequencyScore(0), 0.0);
  EXPECT_DOUBLE_EQ(FrequencyScore(1), 0.15);
  EXPECT_DOUBLE_EQ(FrequencyScore(2), 0.3);
  EXPECT_DOUBLE_EQ(FrequencyScore(3), 0.4);
  EXPECT_DOUBLE_EQ(FrequencyScore(5), 0.6);
  EXPECT_DOUBLE_EQ(FrequencyScore(7), 0.75);
  EXPECT_DOUBLE_EQ(FrequencyScore(9), 0.9);
  EXPECT_DOUBLE_EQ(FrequencyScore(14), 1.0);
  EXPECT_DOUBLE_EQ(FrequencyScore(20), 1.0);
}

TEST(FactorScoreTest, Trend) {
  EXPECT_DOUBLE_EQ(TrendScore(0), 0.0);
  EXPECT_DOUBLE_EQ(TrendScore(0.25), 0.15);
  EXPECT_DOUBLE_EQ(TrendScore(0.6), 0.42);  // 0.3 + 0.3 * 0.1 / 0.25
  EXPECT_DOUBLE_EQ(TrendScore(0.75), 0.6);
  EXPECT_DOUBLE_EQ(TrendScore(0.875), 0.8);
  EXPECT_DOUBLE_EQ(TrendScore(1.5), 1.0);
}

TEST(FactorScoreTest, Breadth) {
  EXPECT_DOUBLE_EQ(BreadthScore(0.1), 0.15);
  EXPECT_DOUBLE_EQ(BreadthScore(0.2), 0.3);
  EXPECT_DOUBLE_EQ(BreadthScore(0.35), 0.45);
  EXPECT_DOUBLE_EQ(BreadthScore(0.75), 0.8);
  EXPECT_DOUBLE_EQ(BreadthScore(1.0), 1.0);
}

TEST(FactorScoreTest, TimeToValue) {
  EXPECT_DOUBLE_EQ(TimeToValueScore(Days(0)), 1.0);
  EXPECT_DOUBLE_EQ(TimeToValueScore(Days(3)), 1.0);
  EXPECT_DOUBLE_EQ(TimeToValueScore(Days(18.5)), 0.8);  // 1 - 0.4 * 11.5 / 23
  EXPECT_DOUBLE_EQ(TimeToValueScore(Days(60)), 0.45);
  EXPECT_DOUBLE_EQ(TimeToValueScore(Days(90)), 0.3);
  EXPECT_DOUBLE_EQ(TimeToValueScore(Days(135)), 0.15);
  EXPECT_DOUBLE_EQ(TimeToValueScore(Days(200)), 0.0);
}

TEST(FactorScoreTest, LabelThresholds) {
  EXPECT_EQ(LabelForScore(0.6), Label::kGood);
  EXPECT_EQ(LabelForScore(0.5999), Label::kWatch);
  EXPECT_EQ(LabelForScore(0.3), Label::kWatch);
  EXPECT_EQ(LabelForScore(0.2999), Label::kPoor);
  EXPECT_EQ(LabelName(Label::kWatch), "watch");
}

Trend MeasuredTrend(double ratio) {
  Trend trend;
  trend.status = TrendStatus::kMeasured;
  trend.ratio = ratio;
  return trend;
}

Breadth BreadthOf(double ratio) {
  Breadth breadth;
  breadth.ratio = ratio;
  return breadth;
}

// Key milestones reached `ttv_days` after a first login `age_days` ago; a
// negative ttv means not reached.
MilestoneSummary KeyMilestones(double age_days, std::vector<double> ttv_days) {
  MilestoneSummary summary;
  summary.account_first_login = kNow - Days(age_days);
  for (double ttv : ttv_days) {
    KeyMilestone key{"m", std::nullopt, std::nullopt};
    if (ttv >= 0) key.time_to_value = Days(ttv);
    summary.key.push_back(key);
  }
  return summary;
}

TEST(HealthTest, AllFactorsGood) {
  // 30*0.9 + 20*0.8 + 30*0.8 + 20*1 = 27 + 16 + 24 + 20 = 87.
  const Health h =
      ComputeHealth(9, MeasuredTrend(0.875), BreadthOf(0.75), KeyMilestones(100, {3}), kNow);
  EXPECT_EQ(h.score, 87);
  EXPECT_EQ(h.band, Label::kGood);
  EXPECT_FALSE(h.capped);
  EXPECT_EQ(h.frequency.label, Label::kGood);
  EXPECT_EQ(h.trend.weight, 20);
}

TEST(HealthTest, OnePoorFactorCapsAtPoor) {
  // Trend 0.25 scores 0.15 (poor): 27 + 3 + 24 + 20 = 74, good by score.
  const Health h =
      ComputeHealth(9, MeasuredTrend(0.25), BreadthOf(0.75), KeyMilestones(100, {3}), kNow);
  EXPECT_EQ(h.score, 74);
  EXPECT_EQ(h.trend.label, Label::kPoor);
  EXPECT_EQ(h.band, Label::kPoor);
  EXPECT_TRUE(h.capped);
}

TEST(HealthTest, WatchBand) {
  // Every factor at 0.6 (its good threshold): score 60, watch.
  const Health h =
      ComputeHealth(5, MeasuredTrend(0.75), BreadthOf(0.5), KeyMilestones(100, {30}), kNow);
  EXPECT_EQ(h.score, 60);
  EXPECT_EQ(h.band, Label::kWatch);
  EXPECT_FALSE(h.capped);
}

TEST(HealthTest, PoorByScoreIsNotCapped) {
  // Every factor at 0.3 (watch): score 30, poor by the score alone.
  const Health h =
      ComputeHealth(2, MeasuredTrend(0.5), BreadthOf(0.2), KeyMilestones(100, {90}), kNow);
  EXPECT_EQ(h.frequency.label, Label::kWatch);
  EXPECT_EQ(h.time_to_value.label, Label::kWatch);
  EXPECT_EQ(h.score, 30);
  EXPECT_EQ(h.band, Label::kPoor);
  EXPECT_FALSE(h.capped);
}

TEST(HealthTest, NewAccountWithoutKeyMilestonesRescalesWeights) {
  // Trend and time to value drop out: (30*0.9 + 30*0.8) / 60 = 51 / 60 = 0.85.
  Trend young;
  young.status = TrendStatus::kNewAccount;
  const Health h = ComputeHealth(9, young, BreadthOf(0.75), MilestoneSummary{}, kNow);
  EXPECT_FALSE(h.trend.applicable);
  EXPECT_FALSE(h.time_to_value.applicable);
  EXPECT_EQ(h.score, 85);
  EXPECT_EQ(h.band, Label::kGood);
}

TEST(HealthTest, UnreachedKeyMilestoneScoredOnElapsedTime) {
  // First login 60 days ago: unreached scores TimeToValueScore(60 d) = 0.45,
  // reached in 3 days scores 1: mean 0.725.
  const Health h =
      ComputeHealth(7, MeasuredTrend(1), BreadthOf(1), KeyMilestones(60, {-1, 3}), kNow);
  EXPECT_DOUBLE_EQ(h.time_to_value.score, 0.725);
  EXPECT_EQ(h.time_to_value.label, Label::kGood);
  // 30*0.75 + 20 + 30 + 20*0.725 = 22.5 + 20 + 30 + 14.5 = 87.
  EXPECT_EQ(h.score, 87);
  // A young account is not penalised for milestones it has had no time for.
  const Health young =
      ComputeHealth(9, MeasuredTrend(1), BreadthOf(1), KeyMilestones(2, {-1}), kNow);
  EXPECT_DOUBLE_EQ(young.time_to_value.score, 1.0);
}

}  // namespace
}  // namespace cairn::engagement

namespace cairn::engagement {
namespace {

// An account that lost 71% of its weekly logins over 12 weeks, steadily: 100
// a week 11 weeks ago down to 29 this week (6.45 fewer each week), one day
// of logins per week. Week against 4 weeks: 29 / mean(35.5, 42, 48.4, 54.8)
// = 0.64 reads "watch"; the 12-week fit keeps 29% of its level: poor.
TEST(LongTrendTest, SlowDeclineIsPoorAndDeclining) {
  std::vector<AccountDay> days;
  for (int k = 11; k >= 0; --k) {
    days.push_back({testing::kToday - 7 * k - 1, std::lround(29 + 6.4545 * k), 5});
  }
  const Trend trend = ComputeTrend(days, testing::At(-100), testing::kNow);
  ASSERT_TRUE(trend.long_term.measured);
  EXPECT_NEAR(trend.long_term.loss, 0.71, 0.01);
  EXPECT_NEAR(trend.long_term.slope, -6.45, 0.05);
  EXPECT_TRUE(trend.long_term.declining);
  ASSERT_TRUE(trend.ratio.has_value());
  EXPECT_EQ(LabelForScore(TrendScore(*trend.ratio)), Label::kWatch);  // the 4-week view alone
  const std::optional<double> score = TrendFactorScore(trend);
  ASSERT_TRUE(score.has_value());
  EXPECT_NEAR(*score, TrendScore(0.29), 0.01);
  EXPECT_EQ(LabelForScore(*score), Label::kPoor);
  // In the health score the poor trend caps the band.
  const Health health = ComputeHealth(10, trend, BreadthOf(0.9), MilestoneSummary{}, testing::kNow);
  EXPECT_EQ(health.trend.label, Label::kPoor);
  EXPECT_EQ(health.band, Label::kPoor);
}

TEST(LongTrendTest, OneOddWeekDoesNotMakeADecline) {
  // Steady 50 a week with one week at 5 (a holiday): Theil-Sen ignores it.
  std::vector<AccountDay> days;
  for (int k = 11; k >= 0; --k) {
    days.push_back({testing::kToday - 7 * k - 1, k == 1 ? 5 : 50, 5});
  }
  const LongTrend trend = ComputeLongTrend(days, testing::At(-100), testing::kNow);
  ASSERT_TRUE(trend.measured);
  EXPECT_NEAR(trend.loss, 0, 0.01);
  EXPECT_FALSE(trend.declining);
  // Too young: not measured.
  EXPECT_FALSE(ComputeLongTrend(days, testing::At(-80), testing::kNow).measured);
}

// One day of `logins` per week at the end of each of the 13 weeks ending
// yesterday, newest first, with a user making 2.5 logins a day on average.
std::vector<AccountDay> WeeklyDays(const std::vector<int64_t>& newest_first) {
  std::vector<AccountDay> days;
  for (size_t k = newest_first.size(); k-- > 0;) {
    const int64_t logins = newest_first[k];
    days.push_back({testing::kToday - 7 * static_cast<DayIndex>(k) - 1, logins,
                    std::max<int64_t>(1, std::llround(static_cast<double>(logins) / 2.5))});
  }
  return days;
}

TEST(LongTrendTest, ThisMorningsFewLoginsAreNoFall) {
  // Steady 40 a week; today has begun with 1 login. The weeks are of
  // complete days, so today counts in none of them yet.
  std::vector<AccountDay> days = WeeklyDays(std::vector<int64_t>(13, 40));
  days.push_back({testing::kToday, 1, 1});
  const LongTrend trend = ComputeLongTrend(days, testing::At(-120), testing::kNow);
  ASSERT_TRUE(trend.measured);
  EXPECT_EQ(trend.weekly[0], 40);
  EXPECT_NEAR(trend.loss, 0, 0.01);
  EXPECT_FALSE(trend.declining);
}

TEST(LongTrendTest, ADipRecurringEveryFewWeeksNeitherHidesNorFakesADecline) {
  // A cycle of 3 weeks (mid, high, low: a week-long dip straddling weeks),
  // level, then losing 40% over the 12 weeks.
  const auto cycle = [](double total_loss) {
    constexpr std::array<double, 3> kShape = {0.8, 1.15, 0.55};
    std::vector<int64_t> weeks;
    for (int k = 0; k < 13; ++k) {
      weeks.push_back(std::llround(200 * (1 - total_loss * (12 - k) / 11.0) * kShape[k % 3]));
    }
    return weeks;
  };
  const LongTrend level = ComputeLongTrend(WeeklyDays(cycle(0)), testing::At(-120), testing::kNow);
  EXPECT_NEAR(level.loss, 0, 0.01);
  EXPECT_FALSE(level.holding);
  const LongTrend falling =
      ComputeLongTrend(WeeklyDays(cycle(0.4)), testing::At(-120), testing::kNow);
  EXPECT_NEAR(falling.loss, 0.4, 0.03);
  EXPECT_TRUE(falling.declining);
}

TEST(LongTrendTest, BurstsOfLoginsNeedALargerFall) {
  // 60 a week falling steadily to 36 (a 40% fitted loss, 24 logins a week).
  // Made by one login per active user-day the fall is beyond the noise
  // (1.6 x sqrt(60) = 12.4); made by a user logging in 12 times a day it is
  // not (1.6 x sqrt(60 x 12) = 42.9).
  std::vector<AccountDay> single;
  std::vector<AccountDay> bursts;
  for (int k = 12; k >= 0; --k) {
    const int64_t logins = std::llround(36 + 24.0 * k / 11);
    single.push_back({testing::kToday - 7 * k - 1, logins, logins});
    bursts.push_back({testing::kToday - 7 * k - 1, logins, std::max<int64_t>(1, logins / 12)});
  }
  const LongTrend one = ComputeLongTrend(single, testing::At(-120), testing::kNow);
  EXPECT_NEAR(one.loss, 0.4, 0.02);
  EXPECT_TRUE(one.declining);
  const LongTrend burst = ComputeLongTrend(bursts, testing::At(-120), testing::kNow);
  EXPECT_NEAR(burst.loss, 0.4, 0.02);
  EXPECT_FALSE(burst.declining);
  EXPECT_FALSE(burst.holding);
}

TEST(LongTrendTest, ADeclineMustAlreadyHoldAWeekEarlier) {
  // A seasonal account of the labelled book as its dip begins: the weeks
  // ending yesterday fit a 43% loss (the newest weeks are partly dipped),
  // but the 12 weeks ending a week ago were level. A real decline holds a
  // week earlier too (SlowDeclineIsPoorAndDeclining); this is not one yet.
  const std::vector<AccountDay> days =
      WeeklyDays({110, 139, 216, 142, 166, 246, 139, 190, 213, 115, 163, 241, 170});
  const LongTrend now = ComputeLongTrend(days, testing::At(-120), testing::kNow);
  const LongTrend week_ago =
      ComputeLongTrend(days, testing::At(-120), testing::kNow - absl::Hours(24 * 7));
  EXPECT_GT(now.loss, 0.4);
  EXPECT_TRUE(now.holding);
  EXPECT_LT(week_ago.loss, 0.15);
  EXPECT_FALSE(week_ago.holding);
  EXPECT_FALSE(now.declining);
}

TEST(AggregatesTest, LoginsPerActiveUserDay) {
  const std::vector<AccountDay> days = {{10, 12, 4}, {11, 6, 1}, {12, 0, 0}, {20, 100, 1}};
  EXPECT_DOUBLE_EQ(LoginsPerActiveUserDay(days, 10, 12), 18.0 / 5.0);
  EXPECT_DOUBLE_EQ(LoginsPerActiveUserDay(days, 12, 12), 1.0);  // no logins
  EXPECT_DOUBLE_EQ(LoginsPerActiveUserDay({}, 0, 100), 1.0);
  // Never below one: a day's rows cannot hold more users than logins, but
  // the floor keeps a damaged row from shrinking the noise.
  EXPECT_DOUBLE_EQ(LoginsPerActiveUserDay({{{5, 1, 3}}}, 5, 5), 1.0);
}

TEST(HealthReasonTest, EachFactorSaysWhyInCounts) {
  Trend trend;
  trend.this_week = 29;
  trend.baseline_mean = 45.25;
  trend.ratio = 29 / 45.25;
  trend.status = TrendStatus::kMeasured;
  trend.long_term.measured = true;
  trend.long_term.loss = 0.71;
  Breadth seats{6, BreadthBasis::kSeats, 20, 0.3};
  MilestoneSummary milestones;
  milestones.account_first_login = testing::kNow - Days(40);
  milestones.key = {{"a", testing::kNow - Days(38), Days(2)}, {"b", std::nullopt, std::nullopt}};
  milestones.key_reached = 1;
  Health health = ComputeHealth(3, trend, seats, milestones, testing::kNow);
  EXPECT_EQ(health.frequency.reason, "logins on 3 of the last 14 days");
  EXPECT_EQ(health.trend.reason,
            "29 logins this week against a 4-week mean of 45 (64%); 71% lost over 12 weeks");
  EXPECT_EQ(health.breadth.reason, "6 of 20 seats active in the last 14 days");
  EXPECT_EQ(health.time_to_value.reason,
            "1 of 2 key milestones reached; 40 days since the first login");

  // Every key milestone reached: the slowest one; without seats, the peak.
  milestones.key[1] = {"b", testing::kNow - Days(10), Days(30.5)};
  milestones.key_reached = 2;
  health =
      ComputeHealth(3, trend, Breadth{4, BreadthBasis::kPeak, 9, 0.44}, milestones, testing::kNow);
  EXPECT_EQ(health.time_to_value.reason, "2 of 2 key milestones reached, the last after 30 days");
  EXPECT_EQ(health.breadth.reason, "4 users active in the last 14 days, of a 90-day peak of 9");

  // Not applicable: why not.
  health = ComputeHealth(0, Trend{}, Breadth{}, MilestoneSummary{}, testing::kNow);
  EXPECT_FALSE(health.trend.applicable);
  EXPECT_EQ(health.trend.reason, "under 5 weeks of history: not judged yet");
  EXPECT_EQ(health.breadth.reason, "no active users in the last 90 days");
  EXPECT_FALSE(health.time_to_value.applicable);
  EXPECT_EQ(health.time_to_value.reason, "no key milestones defined");
  Trend no_baseline;
  no_baseline.status = TrendStatus::kNoBaseline;
  EXPECT_EQ(
      ComputeHealth(0, no_baseline, Breadth{}, MilestoneSummary{}, testing::kNow).trend.reason,
      "no logins in the 4 weeks before this one");
}

}  // namespace
}  // namespace cairn::engagement
