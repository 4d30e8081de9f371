#include "cairn/engagement/engagement.h"

#include <vector>

namespace cairn::engagement {

Engagement ComputeEngagement(const AccountInput& input, absl::Time now) {
  const DayIndex today = DayOf(now);
  const std::vector<AccountDay> days =
      RollUpDays(input.login_days, today - (kHistoryDays - 1), today);
  Engagement out;
  out.account_id = input.account_id;
  out.login_days_14 = LoginDays14(days, now);
  out.frequency_band = BandForLoginDays(out.login_days_14);
  out.milestones = ComputeMilestones(input, now);
  out.trend = ComputeTrend(days, out.milestones.account_first_login, now);
  out.breadth = ComputeBreadth(input, now);
  out.health = ComputeHealth(out.login_days_14, out.trend, out.breadth, out.milestones, now);
  return out;
}

}  // namespace cairn::engagement
