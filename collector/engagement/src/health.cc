#include "cairn/engagement/health.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "health_reasons.h"
#include "piecewise_linear.h"

namespace cairn::engagement {
namespace {

constexpr std::array<Knot, 5> kFrequencyKnots = {{{0, 0}, {2, 0.3}, {5, 0.6}, {9, 0.9}, {14, 1}}};
constexpr std::array<Knot, 4> kTrendKnots = {{{0, 0}, {0.5, 0.3}, {0.75, 0.6}, {1, 1}}};
constexpr std::array<Knot, 4> kBreadthKnots = {{{0, 0}, {0.2, 0.3}, {0.5, 0.6}, {1, 1}}};
constexpr std::array<Knot, 5> kTimeToValueKnots = {
    {{0, 1}, {7, 1}, {30, 0.6}, {90, 0.3}, {180, 0}}};
constexpr std::array<Knot, 5> kDependenceKnots = {
    {{0, 1}, {0.4, 1}, {0.6, 0.55}, {0.9, 0.25}, {1, 0}}};
constexpr std::array<Knot, 4> kNpsKnots = {{{-100, 0}, {-30, 0.3}, {30, 0.6}, {100, 1}}};

Factor MakeFactor(double score, int weight) {
  return Factor{true, score, LabelForScore(score), weight, {}};
}

}  // namespace

std::string_view LabelName(Label label) {
  switch (label) {
    case Label::kGood:
      return "good";
    case Label::kWatch:
      return "watch";
    case Label::kPoor:
      return "poor";
  }
  return "poor";
}

Label LabelForScore(double score) {
  if (score >= 0.6) return Label::kGood;
  if (score >= 0.3) return Label::kWatch;
  return Label::kPoor;
}

double FrequencyScore(int login_days) { return PiecewiseLinear(kFrequencyKnots, login_days); }
double TrendScore(double ratio) { return PiecewiseLinear(kTrendKnots, ratio); }
std::optional<double> TrendFactorScore(const Trend& trend) {
  if (!trend.ratio) return std::nullopt;
  double score = TrendScore(*trend.ratio);
  const LongTrend& long_term = trend.long_term;
  if (long_term.measured && long_term.start_level > 0) {
    const double kept = std::max(0.0, long_term.end_level / long_term.start_level);
    score = std::min(score, TrendScore(kept));
  }
  return score;
}
double BreadthScore(double ratio) { return PiecewiseLinear(kBreadthKnots, ratio); }
double TimeToValueScore(absl::Duration time_to_value) {
  return PiecewiseLinear(kTimeToValueKnots, absl::ToDoubleHours(time_to_value) / 24.0);
}
double DependenceScore(double top_share) { return PiecewiseLinear(kDependenceKnots, top_share); }
double NpsScore(double nps) { return PiecewiseLinear(kNpsKnots, nps); }

std::string_view HealthProfileName(HealthProfile profile) {
  return profile == HealthProfile::kOnboarding ? "onboarding" : "standard";
}

std::optional<double> NpsCounts::nps() const {
  if (responses <= 0) return std::nullopt;
  return static_cast<double>(promoters - detractors) * 100.0 / static_cast<double>(responses);
}

Health ComputeHealth(const HealthInputs& in, const HealthModel& model, absl::Time now) {
  Health health;
  const MilestoneSummary& milestones = in.milestones;
  if (model.onboarding_days > 0 && milestones.account_first_login &&
      now - *milestones.account_first_login < absl::Hours(24) * model.onboarding_days) {
    health.profile = HealthProfile::kOnboarding;
  }
  const FactorWeights& w =
      health.profile == HealthProfile::kOnboarding ? model.onboarding_weights : model.weights;
  health.frequency = MakeFactor(FrequencyScore(in.login_days_14), w.frequency);
  health.frequency.reason = FrequencyReason(in.login_days_14);
  health.breadth = MakeFactor(BreadthScore(in.breadth.ratio), w.breadth);
  health.breadth.reason = BreadthReason(in.breadth);
  health.trend.weight = w.trend;
  if (std::optional<double> score = TrendFactorScore(in.trend)) {
    health.trend = MakeFactor(*score, w.trend);
  }
  health.trend.reason = TrendReason(in.trend);
  health.time_to_value.weight = w.time_to_value;
  if (!milestones.key.empty() && milestones.account_first_login) {
    double sum = 0;
    for (const KeyMilestone& key : milestones.key) {
      const absl::Duration d =
          key.time_to_value ? *key.time_to_value : now - *milestones.account_first_login;
      sum += TimeToValueScore(d);
    }
    health.time_to_value =
        MakeFactor(sum / static_cast<double>(milestones.key.size()), w.time_to_value);
  }
  health.time_to_value.reason = TimeToValueReason(milestones, now);
  health.dependence.weight = w.dependence;
  const std::optional<double> top_share = in.dependence.top_share();
  if (top_share && in.dependence.known_users >= 2) {
    health.dependence = MakeFactor(DependenceScore(*top_share), w.dependence);
  }
  health.dependence.reason = DependenceReason(in.dependence);
  health.nps.weight = w.nps;
  if (in.nps && in.nps->responses >= model.nps_min_responses) {
    health.nps = MakeFactor(NpsScore(*in.nps->nps()), w.nps);
  }
  health.nps.reason = NpsReason(in.nps, model.nps_min_responses);
  double weighted = 0;
  int weights = 0;
  bool any_poor = false;
  for (const Factor* f : {&health.frequency, &health.trend, &health.breadth, &health.time_to_value,
                          &health.dependence, &health.nps}) {
    if (!f->applicable || f->weight <= 0) continue;
    weighted += f->weight * f->score;
    weights += f->weight;
    any_poor = any_poor || f->label == Label::kPoor;
  }
  // Frequency and breadth are always applicable, so only a model that
  // weighs neither of them (and no other applicable factor) lands here.
  health.score = weights > 0 ? static_cast<int>(std::lround(100.0 * weighted / weights)) : 0;
  if (health.score >= model.good_at) {
    health.band = Label::kGood;
  } else if (health.score >= model.watch_at) {
    health.band = Label::kWatch;
  } else {
    health.band = Label::kPoor;
  }
  if (model.poor_factor_caps && any_poor && health.band != Label::kPoor) {
    health.band = Label::kPoor;
    health.capped = true;
  }
  return health;
}

Health ComputeHealth(int login_days_14, const Trend& trend, const Breadth& breadth,
                     const MilestoneSummary& milestones, absl::Time now) {
  return ComputeHealth(HealthInputs{.login_days_14 = login_days_14,
                                    .trend = trend,
                                    .breadth = breadth,
                                    .milestones = milestones,
                                    .dependence = {},
                                    .nps = std::nullopt},
                       HealthModel{}, now);
}

}  // namespace cairn::engagement
