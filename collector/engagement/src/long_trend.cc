#include "cairn/engagement/long_trend.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "cairn/engagement/seasonality.h"
#include "median.h"

namespace cairn::engagement {
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

LongTrend ComputeLongTrend(std::span<const AccountDay> days,
                           std::optional<absl::Time> account_first_login, absl::Time now,
                           const DeclineRule& rule) {
  const DayIndex today = DayOf(now);
  LongTrend trend;
  trend.weekly = WeeklyLogins(days, today);
  const DayIndex oldest = today - 7 * kLongTrendWeeks + 1;
  if (!account_first_login || DayOf(*account_first_login) > oldest) return trend;
  trend.measured = true;
  const uint32_t dips = LocalDipWeeks(trend.weekly, rule.dip_ratio);
  const auto dipped = [&](int k) { return (dips >> k) & 1u; };
  trend.dip_weeks = std::popcount(dips);
  // Oldest week first, so x counts weeks forward in time; dip weeks out.
  std::vector<double> xs;
  std::vector<double> ys;
  double recent = 0;
  int recent_weeks = 0;
  for (int k = kLongTrendWeeks - 1; k >= 0; --k) {
    if (dipped(k)) continue;
    xs.push_back(static_cast<double>(kLongTrendWeeks - 1 - k));
    ys.push_back(static_cast<double>(trend.weekly[static_cast<size_t>(k)]));
  }
  for (int k = 0; k < kLongTrendWeeks && recent_weeks < 3; ++k) {
    if (dipped(k)) continue;
    recent += static_cast<double>(trend.weekly[static_cast<size_t>(k)]);
    ++recent_weeks;
  }
  recent /= recent_weeks;
  const auto [slope, intercept] = TheilSenFit(xs, ys);
  trend.slope = slope;
  trend.start_level = intercept;
  trend.end_level = intercept + slope * (kLongTrendWeeks - 1);
  if (trend.start_level <= 0) return trend;
  trend.loss = 1 - trend.end_level / trend.start_level;
  const bool big_enough =
      trend.start_level >= rule.min_start_level &&
      trend.start_level - trend.end_level >=
          std::max(rule.min_weekly_change, rule.noise_z * std::sqrt(trend.start_level));
  trend.declining = big_enough && trend.loss >= rule.min_loss &&
                    recent <= (1 - rule.confirm_loss) * trend.start_level;
  trend.holding = big_enough && trend.loss >= rule.close_loss;
  return trend;
}

}  // namespace cairn::engagement
