#ifndef CAIRN_ENGAGEMENT_TREND_H_
#define CAIRN_ENGAGEMENT_TREND_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "absl/time/time.h"
#include "cairn/engagement/aggregates.h"
#include "cairn/engagement/long_trend.h"

namespace cairn::engagement {

// Whether a trend ratio could be measured.
enum class TrendStatus {
  kMeasured,    // ratio is set
  kNewAccount,  // the account's history does not cover the 4 baseline weeks
  kNoBaseline,  // history covers them but they hold no login
};

// "measured", "new_account", "no_baseline".
std::string_view TrendStatusName(TrendStatus status);

// Logins this week against the mean of the 4 weeks before. Weeks are 7 UTC
// days ending at DayOf(now) (today, partly elapsed, counts):
//   this week = [today - 6, today], baseline = [today - 34, today - 7].
struct Trend {
  int64_t this_week = 0;
  int64_t baseline_logins = 0;  // sum over the 4 baseline weeks
  double baseline_mean = 0;     // baseline_logins / 4
  std::optional<double> ratio;  // this_week / baseline_mean, when measured
  TrendStatus status = TrendStatus::kNewAccount;
  // The 12-week trend (default DeclineRule): the health score's trend
  // factor also sees a slow decline the week-against-4-weeks ratio misses.
  LongTrend long_term;
};

// Computes the trend of `days` (a RollUpDays result). The account is new,
// and the trend not measured, unless its first login (nullopt: none) falls
// on or before the first baseline day today - 34. Also fills long_term
// (ComputeLongTrend). Cost: O(days) plus a 12-point fit.
Trend ComputeTrend(std::span<const AccountDay> days, std::optional<absl::Time> account_first_login,
                   absl::Time now);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_TREND_H_
