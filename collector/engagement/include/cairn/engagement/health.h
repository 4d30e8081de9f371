#ifndef CAIRN_ENGAGEMENT_HEALTH_H_
#define CAIRN_ENGAGEMENT_HEALTH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "cairn/engagement/breadth.h"
#include "cairn/engagement/dependence.h"
#include "cairn/engagement/health_model.h"
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
// The busiest user's share of the last 28 days' logins: (0,1) (0.4,1)
// (0.6,0.55) (0.9,0.25) (1,0). At the single-user threshold (60%) the factor
// reads watch; at 90% poor.
double DependenceScore(double top_share);
// NPS (-100..100): (-100,0) (-30,0.3) (30,0.6) (100,1): poor below -30,
// good from 30.
double NpsScore(double nps);

// NPS answers of an account over the feedback window (each user's latest
// answer once).
struct NpsCounts {
  int64_t responses = 0;
  int64_t promoters = 0;   // 9-10
  int64_t detractors = 0;  // 0-6
  // (promoters - detractors) * 100 / responses; nullopt without answers.
  std::optional<double> nps() const;
};

// Which weights scored the account.
enum class HealthProfile { kStandard, kOnboarding };

// "standard", "onboarding".
std::string_view HealthProfileName(HealthProfile profile);

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
  Factor dependence;
  Factor nps;
  HealthProfile profile = HealthProfile::kStandard;
  // round(100 * sum(weight * score) / sum(weight)) over applicable factors
  // of weight above 0.
  int score = 0;
  // By the model's thresholds (good >= 70, watch >= 40, poor below by
  // default); poor whenever a weighted factor is poor, if the model caps.
  Label band = Label::kPoor;
  // True when the score alone would have given good or watch but a poor
  // factor capped the band at poor.
  bool capped = false;
};

// What the health score is computed from.
struct HealthInputs {
  int login_days_14 = 0;
  Trend trend;
  Breadth breadth;
  MilestoneSummary milestones;
  Dependence dependence;
  // nullopt: not read (no NPS weight in the model).
  std::optional<NpsCounts> nps;
};

// Combines the factors under `model` (which must pass ValidateHealthModel).
// The onboarding weights apply while the account's first login is less than
// model.onboarding_days old. Time to value: the mean over the key milestones
// of TimeToValueScore(time to value), an unreached one scored on the time
// elapsed since the account's first login (its time to value is at least
// that); not applicable without key milestones or without a first login.
// Trend: TrendFactorScore, not applicable unless the ratio is measured.
// Dependence: DependenceScore, applicable with 2 or more known users and
// recent logins. NPS: NpsScore, applicable with model.nps_min_responses
// answers. Free (a few arithmetic operations per key milestone).
Health ComputeHealth(const HealthInputs& inputs, const HealthModel& model, absl::Time now);

// ComputeHealth under the default model, without dependence or NPS data.
Health ComputeHealth(int login_days_14, const Trend& trend, const Breadth& breadth,
                     const MilestoneSummary& milestones, absl::Time now);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_HEALTH_H_
