#include "cairn/engagement/trend.h"

namespace cairn::engagement {

std::string_view TrendStatusName(TrendStatus status) {
  switch (status) {
    case TrendStatus::kMeasured:
      return "measured";
    case TrendStatus::kNewAccount:
      return "new_account";
    case TrendStatus::kNoBaseline:
      return "no_baseline";
  }
  return "new_account";
}

Trend ComputeTrend(std::span<const AccountDay> days, std::optional<absl::Time> account_first_login,
                   absl::Time now) {
  const DayIndex today = DayOf(now);
  Trend trend;
  trend.this_week = LoginsBetween(days, today - 6, today);
  trend.baseline_logins = LoginsBetween(days, today - 34, today - 7);
  trend.baseline_mean = static_cast<double>(trend.baseline_logins) / 4.0;
  if (!account_first_login || DayOf(*account_first_login) > today - 34) {
    trend.status = TrendStatus::kNewAccount;
  } else if (trend.baseline_logins == 0) {
    trend.status = TrendStatus::kNoBaseline;
  } else {
    trend.status = TrendStatus::kMeasured;
    trend.ratio = static_cast<double>(trend.this_week) / trend.baseline_mean;
  }
  trend.long_term = ComputeLongTrend(days, account_first_login, now);
  return trend;
}

}  // namespace cairn::engagement
