#ifndef CAIRN_ENGAGEMENT_HEALTH_MODEL_H_
#define CAIRN_ENGAGEMENT_HEALTH_MODEL_H_

#include "absl/status/status.h"

namespace cairn::engagement {

// Weights of the health factors: each 0-100, and only the ratios matter (the
// score divides by the sum of the applicable factors' weights). A factor of
// weight 0 is still computed and shown, but neither counts in the score nor
// caps the band.
struct FactorWeights {
  int frequency = 30;
  int trend = 20;
  int breadth = 30;
  int time_to_value = 20;
  // Single-user dependence and NPS are optional: off unless the vendor
  // gives them a weight.
  int dependence = 0;
  int nps = 0;
  int Sum() const { return frequency + trend + breadth + time_to_value + dependence + nps; }
  bool operator==(const FactorWeights&) const = default;
};

// The onboarding profile's default weights: a young account has no trend to
// speak of and is judged mostly on reaching value.
inline constexpr FactorWeights kOnboardingWeights{
    .frequency = 30, .trend = 0, .breadth = 30, .time_to_value = 40, .dependence = 0, .nps = 0};

// How a vendor scores account health (docs/metrics.md has the factors). The
// defaults are the collector's built-in model; a vendor replaces them
// through the admin API, validated by ValidateHealthModel.
struct HealthModel {
  // Weights for accounts past onboarding.
  FactorWeights weights;
  // Weights for accounts whose first consented login is less than
  // onboarding_days ago.
  FactorWeights onboarding_weights = kOnboardingWeights;
  // 0 turns the onboarding profile off.
  int onboarding_days = 30;
  // Band thresholds on the 0-100 score: good at or above good_at, watch at
  // or above watch_at, poor below.
  int good_at = 70;
  int watch_at = 40;
  // Whether one poor (weighted) factor makes the band poor whatever the
  // score.
  bool poor_factor_caps = true;
  // Fewer NPS answers than this leave the NPS factor not applicable: two
  // answers say little about an account.
  int nps_min_responses = 3;
  bool operator==(const HealthModel&) const = default;
};

inline constexpr int kMaxFactorWeight = 100;
inline constexpr int kMaxOnboardingDays = 365;
inline constexpr int kMaxNpsMinResponses = 1000;

// OK when `model` is usable: every weight 0-kMaxFactorWeight, each weight
// set with a sum above 0 among frequency, trend, breadth and time to value
// (the factors every account has, so a score always exists), 0 <= watch_at
// < good_at <= 100, onboarding_days 0-kMaxOnboardingDays, nps_min_responses
// 1-kMaxNpsMinResponses. Otherwise InvalidArgument whose message starts
// with the field's name ("weights.trend must be 0-100"). Free.
absl::Status ValidateHealthModel(const HealthModel& model);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_HEALTH_MODEL_H_
