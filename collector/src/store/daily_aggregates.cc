#include "store/daily_aggregates.h"

#include <algorithm>

namespace cairn::collector {

void DailyAggregates::Fold(const cairn::v1::Event& event, const EventRow& row) {
  const int64_t at_ms = row.corrected_at_ms;
  auto lower = [at_ms](auto& map, auto key) {
    auto [it, added] = map.try_emplace(std::move(key), at_ms);
    if (!added) it->second = std::min(it->second, at_ms);
  };
  if (event.has_login() && event.purpose() == cairn::v1::PURPOSE_USAGE_ANALYTICS) {
    ++login_days[{event.account_id(), event.user_id(), row.day}];
    lower(first_login_ms, std::make_pair(event.account_id(), event.user_id()));
  } else if (event.has_milestone() && event.purpose() == cairn::v1::PURPOSE_MILESTONES) {
    const std::string& name = event.milestone().name();
    lower(first_milestone_ms, std::make_tuple(event.account_id(), event.user_id(), name));
    MilestoneDay& sums = milestone_days[{event.account_id(), event.user_id(), name, row.day}];
    ++sums.events;
    if (row.milestone_value) sums.value_sum += *row.milestone_value;
  }
}

}  // namespace cairn::collector
