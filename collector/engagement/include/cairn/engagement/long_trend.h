#ifndef CAIRN_ENGAGEMENT_LONG_TREND_H_
#define CAIRN_ENGAGEMENT_LONG_TREND_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cairn/engagement/aggregates.h"

namespace cairn::engagement {

// Weeks the long trend fits: 12 weeks of 7 UTC days, the newest ending
// yesterday (complete days: this morning's few logins would read as a fall).
inline constexpr int kLongTrendWeeks = 12;

// When a slow decline counts as "declining" (docs/metrics.md).
struct DeclineRule {
  // Declining: the fitted level lost at least this fraction over the 12 weeks ...
  double min_loss = 0.3;
  // ... and the mean of the last 3 weeks is at least this fraction below the
  // fitted level of 12 weeks ago (the recent weeks confirm the fit).
  double confirm_loss = 0.15;
  // Size: the fitted level 12 weeks ago is at least this many logins a week,
  // and the fitted loss at least min_weekly_change logins a week.
  double min_start_level = 5;
  double min_weekly_change = 4;
  // ... and the fitted loss is at least noise_z spreads of a week: the
  // larger of sqrt(start_level x logins per active user-day) (each active
  // user-day adds a burst of logins, so counts scatter more than a Poisson
  // count) and the weeks' own scatter around the fit, widened when odd low
  // weeks were left out of the fit (fewer weeks fit a less certain line)
  // (0: off).
  double noise_z = 1.6;
  // Odd low weeks (LocalDipWeeks with this ratio) are left out of the fit
  // and of the recent weeks, so a seasonal account's dips do not read as a
  // decline.
  double dip_ratio = 0.8;
  // An open declining episode closes only once the loss is below this
  // (hysteresis, so a loss hovering at min_loss does not re-alert).
  double close_loss = 0.15;
};

// OK if 0 <= close_loss <= min_loss < 1, 0 <= confirm_loss <= min_loss,
// 0 < dip_ratio <= 1 and the minimums and noise_z >= 0; InvalidArgument
// otherwise. Free.
absl::Status ValidateDeclineRule(const DeclineRule& rule);

// The 12-week trend of an account's weekly logins.
struct LongTrend {
  // False unless the account's first login is on or before the first day of
  // the oldest week (today - 84): a younger account has no 12-week history.
  bool measured = false;
  // Logins per week; weekly[0] ends yesterday, weekly[k] ends yesterday - 7k.
  std::array<int64_t, kLongTrendWeeks> weekly{};
  // Weeks left out of the fit as odd low weeks (LocalDipWeeks).
  int dip_weeks = 0;
  // Theil-Sen fit over the weeks (oldest at x = 0, the newest at x = 11),
  // or over their means across every run of 2-4 weeks when those scatter
  // less (a dip recurring every few weeks evens out): slope in logins a
  // week per week, the fitted level at both ends.
  double slope = 0;
  double start_level = 0;
  double end_level = 0;
  // 1 - end_level / start_level: the fraction lost over the 12 weeks
  // (negative: growth); 0 when not measured or start_level <= 0.
  double loss = 0;
  // The DeclineRule holds (only when measured), and already held in part a
  // week before (the trend of the weeks ending then is `holding`): a noisy
  // account crosses the line now and then, a declining one stays.
  bool declining = false;
  // An open declining episode must stay open: loss >= close_loss.
  bool holding = false;
};

// Weekly login totals of the 12 weeks ending today, newest first. Cost: O(days).
std::array<int64_t, kLongTrendWeeks> WeeklyLogins(std::span<const AccountDay> days, DayIndex today);

// Theil-Sen line through the points (xs[i], ys[i]) (distinct xs, same
// length): the median of the pairwise slopes and the median of
// ys[i] - slope * xs[i] as intercept. One odd point moves neither median by
// more than one rank. Returns {slope, intercept}; {0, ys[0]} for one point,
// {0, 0} for none. Cost: O(n^2) (66 pairs for 12 weeks).
std::array<double, 2> TheilSenFit(std::span<const double> xs, std::span<const double> ys);

// The long trend of `days` (a RollUpDays result covering at least the 92
// days ending yesterday; kHistoryDays does) for an account whose first
// consented login was `account_first_login` (nullopt: none, not measured),
// judged by `rule` (assumed valid). Cost: O(days) plus up to eight fits of
// 12 points. Cannot fail.
LongTrend ComputeLongTrend(std::span<const AccountDay> days,
                           std::optional<absl::Time> account_first_login, absl::Time now,
                           const DeclineRule& rule = {});

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_LONG_TREND_H_
