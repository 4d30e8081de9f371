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

Health ComputeHealth(int login_days_14, const Trend& trend, const Breadth& breadth,
                     const MilestoneSummary& milestones, absl::Time now) {
  Health health;
  health.frequency = MakeFactor(FrequencyScore(login_days_14), kFrequencyWeight);
  health.frequency.reason = FrequencyReason(login_days_14);
  health.breadth = MakeFactor(BreadthScore(breadth.ratio), kBreadthWeight);
  health.breadth.reason = BreadthReason(breadth);
  health.trend.weight = kTrendWeight;
  if (std::optional<double> score = TrendFactorScore(trend)) {
    health.trend = MakeFactor(*score, kTrendWeight);
  }
  health.trend.reason = TrendReason(trend);
  health.time_to_value.weight = kTimeToValueWeight;
  if (!milestones.key.empty() && milestones.account_first_login) {
    double sum = 0;
    for (const KeyMilestone& key : milestones.key) {
      const absl::Duration d =
          key.time_to_value ? *key.time_to_value : now - *milestones.account_first_login;
      sum += TimeToValueScore(d);
    }
    health.time_to_value =
        MakeFactor(sum / static_cast<double>(milestones.key.size()), kTimeToValueWeight);
  }
  health.time_to_value.reason = TimeToValueReason(milestones, now);
  double weighted = 0;
  int weights = 0;
  bool any_poor = false;
  for (const Factor* f :
       {&health.frequency, &health.trend, &health.breadth, &health.time_to_value}) {
    if (!f->applicable) continue;
    weighted += f->weight * f->score;
    weights += f->weight;
    any_poor = any_poor || f->label == Label::kPoor;
  }
  health.score = static_cast<int>(std::lround(100.0 * weighted / weights));
  if (health.score >= 70) {
    health.band = Label::kGood;
  } else if (health.score >= 40) {
    health.band = Label::kWatch;
  } else {
    health.band = Label::kPoor;
  }
  if (any_poor && health.band != Label::kPoor) {
    health.band = Label::kPoor;
    health.capped = true;
  }
  return health;
}

}  // namespace cairn::engagement
