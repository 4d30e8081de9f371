// Factor scores, labels and the health score, with hand-computed values.
#include "cairn/engagement/health.h"

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

}  // namespace
}  // namespace cairn::engagement
