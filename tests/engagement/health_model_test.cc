// The vendor's health model: weights, thresholds, the onboarding profile and
// the two optional factors (single-user dependence and NPS), with
// hand-computed scores.
#include "cairn/engagement/health_model.h"

#include <string>

#include "cairn/engagement/dependence.h"
#include "cairn/engagement/health.h"
#include "fixtures.h"
#include "gtest/gtest.h"

namespace cairn::engagement {
namespace {

using testing::At;
using testing::kNow;
using testing::kToday;

// Frequency 9 days (0.9), trend ratio 1 (1.0), breadth 0.75 (0.8), no key
// milestones; first login 100 days ago.
HealthInputs Grown() {
  HealthInputs in;
  in.login_days_14 = 9;
  in.trend.status = TrendStatus::kMeasured;
  in.trend.ratio = 1.0;
  in.breadth.ratio = 0.75;
  in.milestones.account_first_login = At(-100);
  return in;
}

TEST(HealthModelTest, DefaultsAreValidAndMatchTheBuiltInWeights) {
  const HealthModel model;
  EXPECT_TRUE(ValidateHealthModel(model).ok());
  EXPECT_EQ(model.weights.Sum(), 100);
  // The model the collector always had: the old ComputeHealth is the same.
  const HealthInputs in = Grown();
  const Health by_model = ComputeHealth(in, model, kNow);
  const Health legacy = ComputeHealth(in.login_days_14, in.trend, in.breadth, in.milestones, kNow);
  EXPECT_EQ(by_model.score, legacy.score);
  // (30*0.9 + 20*1 + 30*0.8) / 80 = 71 / 80 = 0.8875.
  EXPECT_EQ(by_model.score, 89);
  EXPECT_EQ(by_model.profile, HealthProfile::kStandard);
}

TEST(HealthModelTest, ValidationNamesTheField) {
  HealthModel m;
  m.weights.trend = 101;
  EXPECT_EQ(ValidateHealthModel(m).message(), "weights.trend must be 0-100");
  m = HealthModel{};
  m.onboarding_weights.nps = -1;
  EXPECT_EQ(ValidateHealthModel(m).message(), "onboarding_weights.nps must be 0-100");
  m = HealthModel{};
  m.weights = FactorWeights{
      .frequency = 0, .trend = 0, .breadth = 0, .time_to_value = 0, .dependence = 50, .nps = 50};
  EXPECT_EQ(ValidateHealthModel(m).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateHealthModel(m).message(),
            "weights must give frequency, trend, breadth or time_to_value a weight above 0");
  m = HealthModel{};
  m.watch_at = 70;
  EXPECT_EQ(ValidateHealthModel(m).message(), "watch_at must be 0 or more and below good_at");
  m = HealthModel{};
  m.good_at = 0;
  EXPECT_EQ(ValidateHealthModel(m).message(), "good_at must be 1-100");
  m = HealthModel{};
  m.onboarding_days = 366;
  EXPECT_EQ(ValidateHealthModel(m).message(), "onboarding_days must be 0-365");
  m = HealthModel{};
  m.nps_min_responses = 0;
  EXPECT_EQ(ValidateHealthModel(m).message(), "nps_min_responses must be 1-1000");
}

TEST(HealthModelTest, WeightsAndThresholdsChangeScoreAndBand) {
  HealthModel model;
  model.weights = FactorWeights{
      .frequency = 10, .trend = 0, .breadth = 90, .time_to_value = 0, .dependence = 0, .nps = 0};
  // (10*0.9 + 90*0.8) / 100 = 0.81.
  Health h = ComputeHealth(Grown(), model, kNow);
  EXPECT_EQ(h.score, 81);
  EXPECT_EQ(h.trend.weight, 0);
  EXPECT_EQ(h.band, Label::kGood);
  model.good_at = 90;
  model.watch_at = 81;
  EXPECT_EQ(ComputeHealth(Grown(), model, kNow).band, Label::kWatch);
  model.watch_at = 82;
  EXPECT_EQ(ComputeHealth(Grown(), model, kNow).band, Label::kPoor);
}

TEST(HealthModelTest, AZeroWeightFactorNeitherCountsNorCaps) {
  HealthInputs in = Grown();
  in.trend.ratio = 0.25;  // trend 0.15: poor
  HealthModel model;
  Health h = ComputeHealth(in, model, kNow);
  EXPECT_EQ(h.band, Label::kPoor);
  EXPECT_TRUE(h.capped);
  model.weights.trend = 0;
  h = ComputeHealth(in, model, kNow);
  EXPECT_TRUE(h.trend.applicable);
  EXPECT_EQ(h.trend.label, Label::kPoor);  // still shown as it is
  EXPECT_FALSE(h.capped);
  EXPECT_EQ(h.score, 85);  // (27 + 24) / 60
  EXPECT_EQ(h.band, Label::kGood);
  // Without the cap, a weighted poor factor only lowers the score.
  model = HealthModel{};
  model.poor_factor_caps = false;
  h = ComputeHealth(in, model, kNow);
  EXPECT_FALSE(h.capped);
  EXPECT_EQ(h.score, 68);  // (27 + 3 + 24) / 80 = 0.675
  EXPECT_EQ(h.band, Label::kWatch);
}

TEST(HealthModelTest, YoungAccountsUseTheOnboardingWeights) {
  HealthInputs in = Grown();
  in.milestones.account_first_login = At(-10);
  KeyMilestone key{"m", std::nullopt, std::nullopt};
  key.time_to_value = absl::Hours(24 * 3);  // 1.0
  in.milestones.key.push_back(key);
  HealthModel model;
  Health h = ComputeHealth(in, model, kNow);
  EXPECT_EQ(h.profile, HealthProfile::kOnboarding);
  EXPECT_EQ(HealthProfileName(h.profile), "onboarding");
  // Onboarding: 30*0.9 + 0*1 + 30*0.8 + 40*1 = 91 of 100.
  EXPECT_EQ(h.trend.weight, 0);
  EXPECT_EQ(h.time_to_value.weight, 40);
  EXPECT_EQ(h.score, 91);
  // Past onboarding_days the standard weights apply: 27 + 20 + 24 + 20 = 91
  // of 100 too, so change the trend to tell them apart.
  in.trend.ratio = 0.5;                                 // 0.3
  EXPECT_EQ(ComputeHealth(in, model, kNow).score, 91);  // trend not weighted yet
  model.onboarding_days = 7;
  h = ComputeHealth(in, model, kNow);
  EXPECT_EQ(h.profile, HealthProfile::kStandard);
  EXPECT_EQ(h.score, 77);  // 27 + 6 + 24 + 20
  // 0 turns the profile off.
  model.onboarding_days = 0;
  in.milestones.account_first_login = At(-1);
  EXPECT_EQ(ComputeHealth(in, model, kNow).profile, HealthProfile::kStandard);
}

TEST(HealthModelTest, DependenceFactor) {
  EXPECT_DOUBLE_EQ(DependenceScore(0.3), 1.0);
  EXPECT_DOUBLE_EQ(DependenceScore(0.5), 0.775);
  EXPECT_DOUBLE_EQ(DependenceScore(0.6), 0.55);
  EXPECT_DOUBLE_EQ(DependenceScore(0.9), 0.25);
  EXPECT_DOUBLE_EQ(DependenceScore(1.0), 0.0);
  HealthInputs in = Grown();
  in.dependence = Dependence{.recent_logins = 100, .top_user_logins = 95, .known_users = 3};
  HealthModel model;
  // Weight 0 by default: shown, not counted.
  Health h = ComputeHealth(in, model, kNow);
  EXPECT_TRUE(h.dependence.applicable);
  EXPECT_EQ(h.dependence.label, Label::kPoor);
  EXPECT_EQ(h.dependence.reason,
            "the busiest user holds 95% of 100 logins in the last 28 days (3 users)");
  EXPECT_EQ(h.score, 89);
  EXPECT_EQ(h.band, Label::kGood);
  model.weights.dependence = 10;
  h = ComputeHealth(in, model, kNow);
  // (71 + 10*0.125) / 90 = 0.803, capped by the poor dependence.
  EXPECT_EQ(h.score, 80);
  EXPECT_EQ(h.band, Label::kPoor);
  EXPECT_TRUE(h.capped);
  // One known user: nothing to depend on, so not applicable.
  in.dependence.known_users = 1;
  h = ComputeHealth(in, model, kNow);
  EXPECT_FALSE(h.dependence.applicable);
  EXPECT_EQ(h.dependence.reason, "one known user: nobody else to depend on");
  EXPECT_EQ(h.score, 89);
}

TEST(HealthModelTest, NpsFactorNeedsEnoughAnswers) {
  EXPECT_DOUBLE_EQ(NpsScore(-100), 0.0);
  EXPECT_DOUBLE_EQ(NpsScore(-30), 0.3);
  EXPECT_DOUBLE_EQ(NpsScore(0), 0.45);
  EXPECT_DOUBLE_EQ(NpsScore(30), 0.6);
  EXPECT_DOUBLE_EQ(NpsScore(100), 1.0);
  HealthInputs in = Grown();
  HealthModel model;
  model.weights.nps = 20;
  // Not read: not applicable, the reason says why.
  Health h = ComputeHealth(in, model, kNow);
  EXPECT_FALSE(h.nps.applicable);
  EXPECT_EQ(h.score, 89);
  in.nps = NpsCounts{.responses = 2, .promoters = 0, .detractors = 2};
  h = ComputeHealth(in, model, kNow);
  EXPECT_FALSE(h.nps.applicable);
  EXPECT_EQ(h.nps.reason, "2 NPS answers; 3 needed");
  in.nps = NpsCounts{.responses = 4, .promoters = 3, .detractors = 1};  // NPS 50
  h = ComputeHealth(in, model, kNow);
  ASSERT_TRUE(h.nps.applicable);
  EXPECT_NEAR(h.nps.score, 0.6 + 0.4 * 20 / 70, 1e-12);
  EXPECT_EQ(h.nps.reason, "NPS 50 from 4 answers (3 promoters, 1 detractors)");
  // (71 + 20 * 0.7143) / 100 = 0.8533.
  EXPECT_EQ(h.score, 85);
}

TEST(DependenceTest, CountsTheLastFourWeeksAndEveryKnownUser) {
  AccountInput input;
  input.account_id = "acme";
  input.first_logins = {{"old", At(-200)}, {"a", At(-50)}, {"b", At(-50)}};
  input.login_days = {
      {"a", kToday - 1, 30},  {"a", kToday - 27, 10},   // in the window
      {"b", kToday - 2, 10},  {"b", kToday - 28, 500},  // the 500 are a day too old
      {"c", kToday + 1, 900},                           // from a clock ahead: ignored
  };
  const Dependence d = ComputeDependence(input, kNow);
  EXPECT_EQ(d.recent_logins, 50);
  EXPECT_EQ(d.top_user_logins, 40);
  EXPECT_EQ(d.known_users, 3);
  ASSERT_TRUE(d.top_share().has_value());
  EXPECT_DOUBLE_EQ(*d.top_share(), 0.8);
  EXPECT_TRUE(d.single_user());
  EXPECT_FALSE(IsSingleUserDependence(59, 100, 2));
  EXPECT_TRUE(IsSingleUserDependence(60, 100, 2));
  EXPECT_FALSE(IsSingleUserDependence(100, 100, 1));
  EXPECT_FALSE(IsSingleUserDependence(0, 0, 5));
}

}  // namespace
}  // namespace cairn::engagement
