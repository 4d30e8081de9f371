// The alerts, renewals and customer-view handlers of EngagementApi (the
// accounts and goals ones are in engagement_api.cc).
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "auth/customer_link.h"
#include "cairn/admin/v1/alerts.pb.h"
#include "cairn/admin/v1/customer.pb.h"
#include "cairn/common/strings.h"
#include "cairn/engagement/day.h"
#include "http/proto_json.h"
#include "ops/json_text.h"
#include "store/engagement_store.h"
#include "success/engagement_api.h"
#include "success/engagement_views.h"

namespace cairn::collector {
namespace {

using engagement::DayIndex;

constexpr size_t kMaxAlertsListed = 1000;
// The longest snooze: a quarter, after which the alert must be looked at.
constexpr int64_t kMaxSnoozeDays = 90;

google::protobuf::Value TimeOrNull(const std::optional<absl::Time>& t) {
  return StringOrNull(t ? std::optional<std::string>(FormatRfc3339(*t)) : std::nullopt);
}

admin::v1::Alert AlertMessage(const StoredAlert& a) {
  admin::v1::Alert out;
  out.set_alert_id(a.alert_id);
  out.set_account_id(a.account_id);
  out.set_severity(std::string(engagement::DropStateName(a.severity)));
  out.set_state(a.open ? "open" : "resolved");
  out.set_opened_at(FormatRfc3339(a.opened_at));
  *out.mutable_escalated_at() = TimeOrNull(a.escalated_at);
  *out.mutable_resolved_at() = TimeOrNull(a.resolved_at);
  out.set_this_week(static_cast<int32_t>(a.this_week));
  *out.mutable_baseline_mean() = NumberOrNull(a.baseline_mean);
  *out.mutable_ratio() = NumberOrNull(a.ratio);
  admin::v1::Delivery* delivery = out.mutable_delivery();
  delivery->set_state(std::string(DeliveryStateName(a.delivery)));
  delivery->set_attempts(static_cast<uint32_t>(a.attempts));
  delivery->set_last_error(a.last_error);
  out.set_kind(a.kind);
  *out.mutable_loss_12w() =
      a.loss_12w ? NumberOrNull(*a.loss_12w) : StringOrNull(std::optional<std::string>());
  *out.mutable_acknowledged_at() = TimeOrNull(a.acknowledged_at);
  *out.mutable_snoozed_until() = TimeOrNull(a.snoozed_until);
  return out;
}

// The alert after a change, or the change's error as an HTTP answer.
HttpResponse AlertAfter(EngagementStore& tables, const absl::Status& changed,
                        std::string_view alert_id) {
  if (changed.code() == absl::StatusCode::kNotFound) return EngagementError(404, "no such alert");
  if (changed.code() == absl::StatusCode::kFailedPrecondition) {
    return EngagementError(409, "the alert is resolved");
  }
  if (!changed.ok()) return EngagementStoreFailure(changed);
  absl::StatusOr<std::optional<StoredAlert>> alert = tables.GetAlert(alert_id);
  if (!alert.ok()) return EngagementStoreFailure(alert.status());
  if (!*alert) return EngagementError(404, "no such alert");
  return AdminJsonResponse(AlertMessage(**alert));
}

}  // namespace

HttpResponse EngagementApi::ListAlerts(const HttpRequest& request) {
  std::string state = request.QueryParam("state").value_or("all");
  if (state != "open" && state != "all") return EngagementError(400, "state must be open or all");
  // A snoozed alert is hidden from the open list until its snooze ends.
  absl::StatusOr<std::vector<StoredAlert>> alerts =
      EngagementStore(store_).ListAlerts(state == "open", kMaxAlertsListed, clock_->Now());
  if (!alerts.ok()) return EngagementStoreFailure(alerts.status());
  admin::v1::AlertList out;
  for (const StoredAlert& a : *alerts) *out.add_alerts() = AlertMessage(a);
  return AdminJsonResponse(out);
}

HttpResponse EngagementApi::AcknowledgeAlert(const std::string& alert_id) {
  EngagementStore tables(store_);
  const absl::Time now = absl::FromUnixMillis(absl::ToUnixMillis(clock_->Now()));
  return AlertAfter(tables, tables.AcknowledgeAlert(alert_id, now), alert_id);
}

HttpResponse EngagementApi::SnoozeAlert(const std::string& alert_id, const HttpRequest& request) {
  admin::v1::SnoozeRequest body;
  if (absl::Status s = ParseAdminBody(request.body, &body); !s.ok()) {
    return EngagementError(400, ToStd(s.message()));
  }
  const absl::Time now = absl::FromUnixMillis(absl::ToUnixMillis(clock_->Now()));
  if (body.until().empty() == (body.days() == 0)) {
    return EngagementError(400, "give exactly one of until (RFC 3339) or days");
  }
  absl::Time until;
  if (body.days() != 0) {
    if (body.days() > kMaxSnoozeDays) {
      return EngagementError(400, absl::StrCat("days must be 1-", kMaxSnoozeDays));
    }
    until = now + absl::Hours(24) * static_cast<int64_t>(body.days());
  } else {
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, body.until(), &until, &error)) {
      return EngagementError(400, "until must be an RFC 3339 time");
    }
    if (until <= now || until > now + absl::Hours(24) * kMaxSnoozeDays) {
      return EngagementError(
          400, absl::StrCat("until must be within the next ", kMaxSnoozeDays, " days"));
    }
    until = absl::FromUnixMillis(absl::ToUnixMillis(until));
  }
  EngagementStore tables(store_);
  return AlertAfter(tables, tables.SnoozeAlert(alert_id, until), alert_id);
}

HttpResponse EngagementApi::Evaluate() {
  if (evaluator_ == nullptr) return EngagementError(503, "alerts are not configured");
  absl::StatusOr<AlertEvaluationCounts> counts =
      snapshots_.EvaluateAndRefreshAll(*evaluator_, clock_->Now());
  if (!counts.ok()) return EngagementStoreFailure(counts.status());
  if (on_evaluated_) on_evaluated_();
  admin::v1::EvaluationCounts out;
  out.set_evaluated(static_cast<uint32_t>(counts->evaluated));
  out.set_opened(static_cast<uint32_t>(counts->opened));
  out.set_escalated(static_cast<uint32_t>(counts->escalated));
  out.set_closed(static_cast<uint32_t>(counts->closed));
  return AdminJsonResponse(out);
}

HttpResponse EngagementApi::CustomerOverview(const HttpRequest& request) {
  std::optional<std::string_view> authorization = request.Header("authorization");
  constexpr std::string_view kScheme = "CustomerLink ";
  if (!authorization || authorization->size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(ToAbsl(authorization->substr(0, kScheme.size())), ToAbsl(kScheme))) {
    HttpResponse response = EngagementError(401, "missing customer link");
    response.headers.emplace_back("WWW-Authenticate", "CustomerLink");
    return response;
  }
  const absl::Time now = clock_->Now();
  absl::StatusOr<CustomerLink> link =
      VerifyCustomerLink(link_key_, authorization->substr(kScheme.size()), now);
  if (!link.ok()) {
    if (link.status().code() == absl::StatusCode::kPermissionDenied) {
      return EngagementError(403, "link expired");
    }
    HttpResponse response = EngagementError(401, "invalid customer link");
    response.headers.emplace_back("WWW-Authenticate", "CustomerLink");
    return response;
  }
  // The account comes from the signed token only; no parameter can change it.
  const std::string& account_id = link->account_id;
  EngagementStore tables(store_);
  absl::StatusOr<std::vector<engagement::UserMilestoneDay>> rows =
      tables.ReadMilestoneDays(account_id);
  if (!rows.ok()) return EngagementStoreFailure(rows.status());
  absl::StatusOr<engagement::AccountInput> input = tables.ReadAccountInput(account_id, now);
  if (!input.ok()) return EngagementStoreFailure(input.status());
  absl::StatusOr<std::vector<GoalView>> goals = health_.Goals(account_id, now);
  if (!goals.ok()) return EngagementStoreFailure(goals.status());
  std::map<std::string, absl::Time> firsts;
  for (const engagement::UserMilestone& m : input->milestones) {
    if (m.first_reached > now) continue;
    auto [it, inserted] = firsts.emplace(m.name, m.first_reached);
    if (!inserted) it->second = std::min(it->second, m.first_reached);
  }
  std::map<std::string, int64_t> events;
  for (const engagement::UserMilestoneDay& d : *rows) {
    if (d.day <= engagement::DayOf(now)) events[d.name] += d.events;
  }
  std::vector<std::pair<std::string, absl::Time>> ordered(firsts.begin(), firsts.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
  admin::v1::CustomerOverview out;
  out.set_account_id(account_id);
  out.set_as_of(FormatRfc3339(now));
  for (const auto& [name, first] : ordered) {
    admin::v1::CustomerMilestone* m = out.add_milestones();
    m->set_name(name);
    m->set_first_reached(FormatRfc3339(first));
    m->set_events(static_cast<uint32_t>(events[name]));
  }
  AddGoals(*goals, out.mutable_goals());
  return AdminJsonResponse(out);
}

}  // namespace cairn::collector
