#ifndef CAIRN_ENGAGEMENT_ENGAGEMENT_H_
#define CAIRN_ENGAGEMENT_ENGAGEMENT_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "cairn/engagement/aggregates.h"
#include "cairn/engagement/breadth.h"
#include "cairn/engagement/dependence.h"
#include "cairn/engagement/frequency.h"
#include "cairn/engagement/health.h"
#include "cairn/engagement/health_model.h"
#include "cairn/engagement/milestones.h"
#include "cairn/engagement/trend.h"

namespace cairn::engagement {

// Everything customer success sees for one account (docs/metrics.md).
struct Engagement {
  std::string account_id;
  int login_days_14 = 0;
  FrequencyBand frequency_band = FrequencyBand::kInactive;
  Trend trend;
  Breadth breadth;
  MilestoneSummary milestones;
  Dependence dependence;
  Health health;
};

// Computes the engagement of `input` as of `now`. Rows dated after DayOf(now)
// (or first times after `now`) are ignored: they can only come from clocks
// still ahead after skew correction. Health is scored under `model` (which
// must pass ValidateHealthModel), with `nps` as the account's NPS answers
// (nullopt when not read). Cost: O(rows log rows) for the account, a few
// microseconds for a typical account. Cannot fail.
Engagement ComputeEngagement(const AccountInput& input, absl::Time now,
                             const HealthModel& model = HealthModel{},
                             std::optional<NpsCounts> nps = std::nullopt);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_ENGAGEMENT_H_
