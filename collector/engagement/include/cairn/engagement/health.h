#ifndef CAIRN_ENGAGEMENT_HEALTH_H_
#define CAIRN_ENGAGEMENT_HEALTH_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "cairn/engagement/breadth.h"
#include "cairn/engagement/milestones.h"
#include "cairn/engagement/trend.h"

namespace cairn::engagement {

// A three-level label, used for each factor and for the account's band.
enum class Label { kGood, kWatch, kPoor };

// "good", "watch", "poor".
std::string_view LabelName(Label label);

// Factor label of a 0..1 factor score: good >= 0.6, watch >= 0.3, else poor.
Label LabelForScore(double score);

// Factor scores, each a piecewise-linear map to 0..1 (knots in
// docs/metrics.md), chosen so LabelForScore's thresholds fall on meaningful
// points. All free and total (any input gives a score).
// Login days in 14: (0,0) (2,0.3) (5,0.6) (9,0.9) (14,1).
double FrequencyScore(int login_days);
// Trend ratio: (0,0) (0.5,0.3) (0.75,0.6) (1,1), 1 above.
double TrendScore(double ratio);
// The trend factor's score: TrendScore of the week ratio, or, when the
// 12-week trend is measured, the lower of that and TrendScore of the share
// of the 12-week fitted level kept (end_level / start_level, floored at 0),
// so an account that lost 71% over 12 weeks scores poor. nullopt when the
// ratio is not measured.
std::optional<double> TrendFactorScore(const Trend& trend);
// Breadth ratio: (0,0) (0.2,0.3) (0.5,0.6) (1,1).
double BreadthScore(double ratio);
// Time to value in days: (0,1) (7,1) (30,0.6) (90,0.3) (180,0), 0 after.
double TimeToValueScore(absl::Duration time_to_value);

// Weights of the factors in the health score (sum 100).
inline constexpr int kFrequencyWeight = 30;
inline constexpr int kTrendWeight = 20;
inline constexpr int kBreadthWeight = 30;
inline constexpr int kTimeToValueWeight = 20;

// One factor of the health score.
struct Factor {
  // False when the factor cannot be judged (new account, no key milestone);
  // it then drops out and the other weights are rescaled.
  bool applicable = false;
  double score = 0;  // 0..1
  Label label = Label::kPoor;
  int weight = 0;
  // Why, in one line of counts (no user, no milestone name): "logins on 3
  // of the last 14 days"; for a factor not applicable, why not.
  std::string reason;
};

// The account's health: score 0-100 and band.
struct Health {
  Factor frequency;
  Factor trend;
  Factor breadth;
  Factor time_to_value;
  // round(100 * sum(weight * score) / sum(weight)) over applicable factors.
  int score = 0;
  // good >= 70, watch >= 40, poor < 40; poor whenever a factor is poor.
  Label band = Label::kPoor;
  // True when the score alone would have given good or watch but a poor
  // factor capped the band at poor.
  bool capped = false;
};

// Combines the factors. Time to value: the mean over the key milestones of
// TimeToValueScore(time to value), an unreached one scored on the time
// elapsed since the account's first login (its time to value is at least
// that); not applicable without key milestones or without a first login.
// Trend: TrendFactorScore, not applicable unless the ratio is measured. Free (a few arithmetic
// operations per key milestone).
Health ComputeHealth(int login_days_14, const Trend& trend, const Breadth& breadth,
                     const MilestoneSummary& milestones, absl::Time now);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_HEALTH_H_
