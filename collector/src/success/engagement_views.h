#ifndef CAIRN_COLLECTOR_SUCCESS_ENGAGEMENT_VIEWS_H_
#define CAIRN_COLLECTOR_SUCCESS_ENGAGEMENT_VIEWS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "cairn/admin/v1/accounts.pb.h"
#include "cairn/engagement/day.h"
#include "cairn/engagement/health.h"
#include "http/http_types.h"
#include "success/account_health.h"

namespace cairn::collector {

// What the customer-success handlers (engagement_api*.cc) share: their
// error answers and the cairn.admin.v1 messages built from computed views.
// Free of I/O; each costs a pass over its input.

// A text error answer; 5xx are logged.
HttpResponse EngagementError(int status, std::string_view reason);
// 503 with Retry-After for a failed store read or write (logged).
HttpResponse EngagementStoreFailure(const absl::Status& status);

// "YYYY-MM-DD" of a day.
std::string DateText(engagement::DayIndex day);
// The day of "YYYY-MM-DD" text; nullopt unless it is a real date in that form.
std::optional<engagement::DayIndex> ParseDateText(std::string_view text);

// The health object; `full` adds capped and the factors (account views).
admin::v1::Health HealthMessage(const engagement::Health& health, bool full);
// A goal with its progress.
admin::v1::Goal GoalMessage(const GoalView& goal);
// Goals into a repeated field of any message that has one.
template <typename Repeated>
void AddGoals(const std::vector<GoalView>& goals, Repeated* out) {
  for (const GoalView& g : goals) *out->Add() = GoalMessage(g);
}

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_SUCCESS_ENGAGEMENT_VIEWS_H_
