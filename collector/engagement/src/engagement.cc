#include "cairn/engagement/engagement.h"

#include <utility>
#include <vector>

namespace cairn::engagement {

Engagement ComputeEngagement(const AccountInput& input, absl::Time now, const HealthModel& model,
                             std::optional<NpsCounts> nps) {
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
  HealthInputs health_inputs{.login_days_14 = out.login_days_14,
                             .trend = std::move(out.trend),
                             .breadth = out.breadth,
                             .milestones = std::move(out.milestones),
                             .dependence = ComputeDependence(input, now),
                             .nps = nps};
  out.health = ComputeHealth(health_inputs, model, now);
  out.trend = std::move(health_inputs.trend);
  out.milestones = std::move(health_inputs.milestones);
  out.dependence = health_inputs.dependence;
  return out;
}

}  // namespace cairn::engagement
