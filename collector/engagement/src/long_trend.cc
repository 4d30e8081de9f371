#include "cairn/engagement/long_trend.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "cairn/engagement/seasonality.h"
#include "median.h"

namespace cairn::engagement {

namespace {

// A line through the weeks (oldest at x = 0, this week at x = 11).
struct Fit {
  double slope = 0;
  double intercept = 0;
  double spread = 0;  // of the points around the line: 1.4826 x median |residual|
  double recent = 0;  // mean of the newest points the fit used, at most 3
  // How much less sure the fitted change is than a fit of all 12 weeks:
  // sqrt(Sxx of 12 weeks / Sxx of the weeks used). Leaving odd weeks out
  // shortens the line's lever, and the change it fits is that much less
  // certain (a slope's standard error goes as 1 / sqrt(Sxx)).
  double uncertainty = 1;
};

// Sum of squared distances of `xs` from their mean.
double SpreadOfXs(const std::vector<double>& xs) {
  double mean = 0;
  for (double x : xs) mean += x;
  mean /= static_cast<double>(std::max<size_t>(1, xs.size()));
  double sxx = 0;
  for (double x : xs) sxx += (x - mean) * (x - mean);
  return sxx;
}

Fit FitPoints(const std::vector<double>& xs, const std::vector<double>& ys, double recent) {
  Fit fit;
  const auto [slope, intercept] = TheilSenFit(xs, ys);
  fit.slope = slope;
  fit.intercept = intercept;
  std::vector<double> residuals;
  residuals.reserve(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    residuals.push_back(std::abs(ys[i] - (intercept + slope * xs[i])));
  }
  fit.spread = 1.4826 * Median(residuals);
  fit.recent = recent;
  return fit;
}

// The fit of the weekly logins with the least spread: of the weeks
// themselves (odd low weeks left out), or of their means over every run of
// 2, 3 or 4 weeks. A dip recurring every few weeks straddles weeks, so it
// leaves partly low weeks that scatter the weeks and can read as a fall;
// the means over a run as long as its period hold one whole cycle each, so
// they scatter least and are level where the account is. A steady decline
// fits the same line either way (a mean over a run of a line is the line).
Fit BestFit(const std::array<int64_t, kLongTrendWeeks>& weekly, uint32_t dips) {
  const auto at = [&](int k) { return static_cast<double>(weekly[static_cast<size_t>(k)]); };
  std::vector<double> xs;
  std::vector<double> ys;
  double recent = 0;
  int recent_weeks = 0;
  for (int k = kLongTrendWeeks - 1; k >= 0; --k) {
    if ((dips >> k) & 1u) continue;
    xs.push_back(static_cast<double>(kLongTrendWeeks - 1 - k));
    ys.push_back(at(k));
  }
  for (int k = 0; k < kLongTrendWeeks && recent_weeks < 3; ++k) {
    if ((dips >> k) & 1u) continue;
    recent += at(k);
    ++recent_weeks;
  }
  Fit best = FitPoints(xs, ys, recent / std::max(1, recent_weeks));
  if (xs.size() >= 2 && xs.size() < kLongTrendWeeks) {
    constexpr double kAllWeeksSxx =
        kLongTrendWeeks * (kLongTrendWeeks * kLongTrendWeeks - 1) / 12.0;
    best.uncertainty = std::sqrt(kAllWeeksSxx / SpreadOfXs(xs));
  }
  for (int run = 2; run <= 4; ++run) {
    xs.clear();
    ys.clear();
    for (int k = kLongTrendWeeks - run; k >= 0; --k) {
      double sum = 0;
      for (int j = k; j < k + run; ++j) sum += at(j);
      // Centred on the run: weeks k .. k + run - 1, newest first.
      xs.push_back(static_cast<double>(kLongTrendWeeks - 1 - k) - (run - 1) / 2.0);
      ys.push_back(sum / run);
    }
    Fit fit = FitPoints(xs, ys, ys.back());
    // A mean of `run` weeks scatters about sqrt(run) times less than a week:
    // compare the spreads per week.
    fit.spread *= std::sqrt(static_cast<double>(run));
    if (fit.spread < best.spread) best = fit;
  }
  return best;
}

}  // namespace
absl::Status ValidateDeclineRule(const DeclineRule& rule) {
  if (!(rule.close_loss >= 0 && rule.close_loss <= rule.min_loss && rule.min_loss < 1)) {
    return absl::InvalidArgumentError("decline rule needs 0 <= close_loss <= min_loss < 1");
  }
  if (!(rule.confirm_loss >= 0 && rule.confirm_loss <= rule.min_loss)) {
    return absl::InvalidArgumentError("decline rule needs 0 <= confirm_loss <= min_loss");
  }
  if (!(rule.dip_ratio > 0 && rule.dip_ratio <= 1)) {
    return absl::InvalidArgumentError("decline rule needs 0 < dip_ratio <= 1");
  }
  if (!(rule.min_start_level >= 0 && rule.min_weekly_change >= 0 && rule.noise_z >= 0)) {
    return absl::InvalidArgumentError("decline rule needs non-negative minimums");
  }
  return absl::OkStatus();
}

std::array<int64_t, kLongTrendWeeks> WeeklyLogins(std::span<const AccountDay> days,
                                                  DayIndex today) {
  std::array<int64_t, kLongTrendWeeks> weekly{};
  for (const AccountDay& day : days) {
    if (day.day > today || day.day <= today - 7 * kLongTrendWeeks) continue;
    weekly[static_cast<size_t>((today - day.day) / 7)] += day.logins;
  }
  return weekly;
}

std::array<double, 2> TheilSenFit(std::span<const double> xs, std::span<const double> ys) {
  if (ys.empty()) return {0, 0};
  if (ys.size() < 2) return {0, ys[0]};
  std::vector<double> slopes;
  slopes.reserve(ys.size() * (ys.size() - 1) / 2);
  for (size_t i = 0; i < ys.size(); ++i) {
    for (size_t j = i + 1; j < ys.size(); ++j) {
      slopes.push_back((ys[j] - ys[i]) / (xs[j] - xs[i]));
    }
  }
  const double slope = Median(slopes);
  std::vector<double> intercepts;
  intercepts.reserve(ys.size());
  for (size_t i = 0; i < ys.size(); ++i) intercepts.push_back(ys[i] - slope * xs[i]);
  return {slope, Median(intercepts)};
}

namespace {

// The trend of the 12 weeks ending on `last`.
LongTrend TrendEnding(std::span<const AccountDay> days,
                      std::optional<absl::Time> account_first_login, DayIndex last,
                      const DeclineRule& rule) {
  LongTrend trend;
  trend.weekly = WeeklyLogins(days, last);
  const DayIndex oldest = last - 7 * kLongTrendWeeks + 1;
  if (!account_first_login || DayOf(*account_first_login) > oldest) return trend;
  trend.measured = true;
  const uint32_t dips = LocalDipWeeks(trend.weekly, rule.dip_ratio);
  trend.dip_weeks = std::popcount(dips);
  const Fit fit = BestFit(trend.weekly, dips);
  trend.slope = fit.slope;
  trend.start_level = fit.intercept;
  trend.end_level = fit.intercept + fit.slope * (kLongTrendWeeks - 1);
  if (trend.start_level <= 0) return trend;
  trend.loss = 1 - trend.end_level / trend.start_level;
  const double burst = LoginsPerActiveUserDay(days, oldest, last);
  const double spread =
      std::max(std::sqrt(trend.start_level * burst), fit.spread) * fit.uncertainty;
  const bool big_enough = trend.start_level >= rule.min_start_level &&
                          trend.start_level - trend.end_level >=
                              std::max(rule.min_weekly_change, rule.noise_z * spread);
  const double recent = fit.recent;
  trend.declining = big_enough && trend.loss >= rule.min_loss &&
                    recent <= (1 - rule.confirm_loss) * trend.start_level;
  trend.holding = big_enough && trend.loss >= rule.close_loss;
  return trend;
}

}  // namespace

LongTrend ComputeLongTrend(std::span<const AccountDay> days,
                           std::optional<absl::Time> account_first_login, absl::Time now,
                           const DeclineRule& rule) {
  // Weeks of complete days: this morning's few logins would read as a fall.
  const DayIndex last = DayOf(now) - 1;
  LongTrend trend = TrendEnding(days, account_first_login, last, rule);
  if (trend.declining) {
    // A decline is sustained: the weeks ending a week ago already fell. A
    // noisy account crosses the line now and then; a declining one stays.
    const LongTrend week_ago = TrendEnding(days, account_first_login, last - 7, rule);
    trend.declining = !week_ago.measured || week_ago.holding;
  }
  return trend;
}

}  // namespace cairn::engagement
