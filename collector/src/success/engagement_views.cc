#include "success/engagement_views.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cairn/engagement/goals.h"
#include "http/proto_json.h"
#include "ops/log.h"

namespace cairn::collector {
namespace {

admin::v1::Factor FactorMessage(const engagement::Factor& f) {
  admin::v1::Factor out;
  out.set_applicable(f.applicable);
  *out.mutable_score() = NumberOrNull(f.score);
  out.set_band(std::string(engagement::LabelName(f.label)));
  out.set_weight(f.weight);
  return out;
}

}  // namespace

HttpResponse EngagementError(int status, std::string_view reason) {
  if (status >= 500) {
    Log(LogLevel::kError, "request_rejected",
        {{"route", "engagement"},
         {"status", std::to_string(status)},
         {"reason", std::string(reason)}});
  }
  return TextResponse(status, reason);
}

HttpResponse EngagementStoreFailure(const absl::Status& status) {
  Log(LogLevel::kError, "engagement_store_failed",
      {{"code", absl::StatusCodeToString(status.code())}});
  HttpResponse response = TextResponse(503, "storage unavailable, retry later");
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

std::string DateText(engagement::DayIndex day) {
  return absl::FormatTime("%Y-%m-%d", engagement::StartOfDay(day), absl::UTCTimeZone());
}

std::optional<engagement::DayIndex> ParseDateText(std::string_view text) {
  if (text.size() != 10) return std::nullopt;
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d", std::string(text), absl::UTCTimeZone(), &t, &err)) {
    return std::nullopt;
  }
  engagement::DayIndex day = engagement::DayOf(t);
  // ParseTime normalises 2027-02-30 to March; the round trip refuses it.
  if (DateText(day) != text) return std::nullopt;
  return day;
}

admin::v1::Health HealthMessage(const engagement::Health& h, bool full) {
  admin::v1::Health out;
  out.set_score(h.score);
  out.set_band(std::string(engagement::LabelName(h.band)));
  if (full) {
    out.set_capped(h.capped);
    admin::v1::Factors* factors = out.mutable_factors();
    *factors->mutable_frequency() = FactorMessage(h.frequency);
    *factors->mutable_trend() = FactorMessage(h.trend);
    *factors->mutable_breadth() = FactorMessage(h.breadth);
    *factors->mutable_time_to_value() = FactorMessage(h.time_to_value);
  }
  return out;
}

admin::v1::Goal GoalMessage(const GoalView& g) {
  const engagement::Goal& goal = g.goal.goal;
  admin::v1::Goal out;
  out.set_goal_id(g.goal.goal_id);
  out.set_account_id(goal.account_id);
  out.set_name(goal.name);
  out.set_milestone_name(goal.milestone_name);
  out.set_target_count(static_cast<int32_t>(goal.target_count));
  out.set_start(DateText(goal.start));
  *out.mutable_due() =
      StringOrNull(goal.due ? std::optional<std::string>(DateText(*goal.due)) : std::nullopt);
  out.set_count(static_cast<uint32_t>(g.progress.count));
  *out.mutable_expected() = NumberOrNull(g.progress.expected);
  *out.mutable_fraction() = NumberOrNull(g.progress.fraction);
  out.set_status(std::string(engagement::GoalStatusName(g.progress.status)));
  return out;
}

}  // namespace cairn::collector
