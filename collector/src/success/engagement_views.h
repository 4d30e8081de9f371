#ifndef CAIRN_COLLECTOR_SUCCESS_ENGAGEMENT_VIEWS_H_
#define CAIRN_COLLECTOR_SUCCESS_ENGAGEMENT_VIEWS_H_

#include <cstdint>
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

// The parts of FillAccount below that need no template.
void FillTrend(const engagement::Engagement& e, admin::v1::Trend* out);
void FillBreadth(const engagement::Engagement& e, admin::v1::Breadth* out);
google::protobuf::Value AdoptionValue(const engagement::Engagement& e);
void FillAlertSummary(const StoredAlert& alert, admin::v1::AlertSummary* out);

// The health object; `full` adds capped and the factors (account views).
admin::v1::Health HealthMessage(const engagement::Health& health, bool full);
// A goal with its progress.
admin::v1::Goal GoalMessage(const GoalView& goal);

// "YYYY-MM-DD" or null.
google::protobuf::Value DateOrNull(const std::optional<engagement::DayIndex>& day);
// Text or null.
google::protobuf::Value TextOrNull(const std::optional<std::string>& text);
// Whole or decimal number or null.
google::protobuf::Value IntOrNull(const std::optional<int64_t>& value);
// Currency units of an amount in cents, or null.
google::protobuf::Value MoneyOrNull(const std::optional<int64_t>& cents);
// The band's name of a rank (0 poor, 1 watch, 2 good).
std::string_view BandNameOfRank(int rank);
// The rank of a band (0 poor, 1 watch, 2 good).
int BandRank(engagement::Label band);

// The context fields every account message shares (seats, renewal date,
// owner, plan, ARR/MRR, segments) from the settings; null/empty without.
template <typename AccountMessage>
void FillContext(const std::optional<AccountSettings>& s, AccountMessage* out) {
  *out->mutable_seats() = IntOrNull(s ? s->seats : std::nullopt);
  *out->mutable_renewal_date() = DateOrNull(s ? s->renewal_date : std::nullopt);
  *out->mutable_owner() = TextOrNull(s ? s->owner : std::nullopt);
  *out->mutable_plan() = TextOrNull(s ? s->plan : std::nullopt);
  const std::optional<int64_t> arr = s ? s->arr_cents : std::nullopt;
  *out->mutable_arr() = MoneyOrNull(arr);
  *out->mutable_mrr() = MoneyOrNull(arr ? std::optional<int64_t>(*arr / 12) : std::nullopt);
  out->clear_segments();
  if (s) {
    for (const std::string& segment : s->segments) out->add_segments(segment);
  }
}

// The engagement fields Account and AccountDetail share, then the context.
template <typename AccountMessage>
void FillAccount(const AccountView& v, AccountMessage* out) {
  const engagement::Engagement& e = v.engagement;
  out->set_account_id(e.account_id);
  *out->mutable_health() = HealthMessage(e.health, true);
  out->set_login_days_14(static_cast<int32_t>(e.login_days_14));
  out->set_frequency_band(std::string(engagement::FrequencyBandName(e.frequency_band)));
  FillTrend(e, out->mutable_trend());
  FillBreadth(e, out->mutable_breadth());
  *out->mutable_adoption() = AdoptionValue(e);
  for (int64_t logins : v.weekly_logins) out->add_weekly_logins(static_cast<uint32_t>(logins));
  FillContext(v.settings, out);
  if (v.open_alert) FillAlertSummary(*v.open_alert, out->mutable_open_alert());
}
// Goals into a repeated field of any message that has one.
template <typename Repeated>
void AddGoals(const std::vector<GoalView>& goals, Repeated* out) {
  for (const GoalView& g : goals) *out->Add() = GoalMessage(g);
}

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_SUCCESS_ENGAGEMENT_VIEWS_H_
