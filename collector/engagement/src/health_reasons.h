#ifndef CAIRN_ENGAGEMENT_SRC_HEALTH_REASONS_H_
#define CAIRN_ENGAGEMENT_SRC_HEALTH_REASONS_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "cairn/engagement/breadth.h"
#include "cairn/engagement/dependence.h"
#include "cairn/engagement/health.h"
#include "cairn/engagement/milestones.h"
#include "cairn/engagement/trend.h"

namespace cairn::engagement {

// One line each saying why a factor scored as it did, in counts only (no
// user, no milestone name): what a CSM reads next to the factor.
std::string FrequencyReason(int login_days_14);
std::string TrendReason(const Trend& trend);
std::string BreadthReason(const Breadth& breadth);
std::string TimeToValueReason(const MilestoneSummary& milestones, absl::Time now);
std::string DependenceReason(const Dependence& dependence);
std::string NpsReason(const std::optional<NpsCounts>& nps, int min_responses);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_SRC_HEALTH_REASONS_H_
