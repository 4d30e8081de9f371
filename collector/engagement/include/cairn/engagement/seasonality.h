#ifndef CAIRN_ENGAGEMENT_SEASONALITY_H_
#define CAIRN_ENGAGEMENT_SEASONALITY_H_

#include <cstdint>
#include <optional>
#include <span>

#include "cairn/engagement/aggregates.h"

namespace cairn::engagement {

// Recurring-dip periods looked for, in weeks. Two earlier dips at the same
// phase (7P and 14P days ago, each judged against its own 4 weeks before)
// need 7 x (2P + 5) days: P = 4 is the longest kHistoryDays (103) holds.
inline constexpr int kMinDipPeriodWeeks = 2;
inline constexpr int kMaxDipPeriodWeeks = 4;

// What an account's own history says this week should look like
// (docs/metrics.md, "Seasonality").
struct SeasonalBaseline {
  // Today's weekday carried at least 2/7 of the logins of the 4 weeks before
  // this week: today, only partly elapsed, weighs more than a seventh.
  bool weekly_rhythm = false;
  // With weekly_rhythm: the 6 complete days [today-6, today-1] against the
  // mean of the same 6-day phase of the 4 weeks before, when that mean is
  // at least the caller's minimum.
  std::optional<double> complete_days_ratio;
  // 2..kMaxDipPeriodWeeks when the weeks 7P and 14P days ago were both dips
  // (below the dip ratio of their own 4 weeks before); 0 otherwise.
  int dip_period_weeks = 0;
  // With a dip period: the mean logins of those two same-phase weeks.
  double dip_expected = 0;
};

// Computes the seasonal baseline of `days` (a RollUpDays result covering
// the kHistoryDays ending today). `dip_ratio` is the drop rule's ratio;
// weeks whose 4-week baseline mean is below `min_weekly_logins` are never
// dips, and 6-day phases below 6/7 of it are not measured. Cost: O(days x
// weeks). Cannot fail.
SeasonalBaseline ComputeSeasonalBaseline(std::span<const AccountDay> days, DayIndex today,
                                         double dip_ratio, double min_weekly_logins);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_SEASONALITY_H_
