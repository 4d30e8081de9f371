#include "cairn/engagement/seasonality.h"

namespace cairn::engagement {
namespace {

// Logins of the week ending `k` weeks before today.
int64_t Week(std::span<const AccountDay> days, DayIndex today, int k) {
  const DayIndex last = today - 7 * k;
  return LoginsBetween(days, last - 6, last);
}

}  // namespace

SeasonalBaseline ComputeSeasonalBaseline(std::span<const AccountDay> days, DayIndex today,
                                         double dip_ratio, double min_weekly_logins) {
  SeasonalBaseline out;
  // Weekly rhythm: today's weekday against the 4 baseline weeks.
  int64_t same_weekday = 0;
  int64_t complete = 0;
  for (int k = 1; k <= 4; ++k) {
    same_weekday += LoginsBetween(days, today - 7 * k, today - 7 * k);
    complete += LoginsBetween(days, today - 7 * k - 6, today - 7 * k - 1);
  }
  const int64_t baseline = same_weekday + complete;
  out.weekly_rhythm = baseline > 0 && 7 * same_weekday >= 2 * baseline;
  const double complete_mean = static_cast<double>(complete) / 4.0;
  if (out.weekly_rhythm && complete_mean > 0 && complete_mean >= min_weekly_logins * 6.0 / 7.0) {
    out.complete_days_ratio =
        static_cast<double>(LoginsBetween(days, today - 6, today - 1)) / complete_mean;
  }
  // Recurring dip: the same phase P and 2P weeks ago both dipped.
  const auto dipped = [&](int k) {
    double mean = 0;
    for (int j = 1; j <= 4; ++j) mean += static_cast<double>(Week(days, today, k + j));
    mean /= 4.0;
    return mean > 0 && mean >= min_weekly_logins &&
           static_cast<double>(Week(days, today, k)) < dip_ratio * mean;
  };
  for (int p = kMinDipPeriodWeeks; p <= kMaxDipPeriodWeeks; ++p) {
    if (dipped(p) && dipped(2 * p)) {
      out.dip_period_weeks = p;
      out.dip_expected =
          static_cast<double>(Week(days, today, p) + Week(days, today, 2 * p)) / 2.0;
      break;
    }
  }
  return out;
}

}  // namespace cairn::engagement
