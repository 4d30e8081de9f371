#include "success/engagement_views.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cairn/engagement/goals.h"
#include "http/proto_json.h"
#include "ops/json_text.h"
#include "ops/log.h"

namespace cairn::collector {
namespace {

admin::v1::Factor FactorMessage(const engagement::Factor& f) {
  admin::v1::Factor out;
  out.set_applicable(f.applicable);
  *out.mutable_score() = NumberOrNull(f.score);
  out.set_band(std::string(engagement::LabelName(f.label)));
  out.set_weight(f.weight);
  out.set_reason(f.reason);
  return out;
}

}  // namespace

google::protobuf::Value DateOrNull(const std::optional<engagement::DayIndex>& day) {
  return StringOrNull(day ? std::optional<std::string>(DateText(*day)) : std::nullopt);
}

google::protobuf::Value TextOrNull(const std::optional<std::string>& text) {
  return StringOrNull(text);
}

google::protobuf::Value IntOrNull(const std::optional<int64_t>& value) {
  google::protobuf::Value out;
  if (value) {
    out.set_number_value(static_cast<double>(*value));
  } else {
    out.set_null_value(google::protobuf::NULL_VALUE);
  }
  return out;
}

google::protobuf::Value MoneyOrNull(const std::optional<int64_t>& cents) {
  google::protobuf::Value out;
  if (cents) {
    out.set_number_value(static_cast<double>(*cents) / 100.0);
  } else {
    out.set_null_value(google::protobuf::NULL_VALUE);
  }
  return out;
}

std::string_view BandNameOfRank(int rank) {
  return rank <= 0 ? "poor" : rank == 1 ? "watch" : "good";
}

int BandRank(engagement::Label band) {
  switch (band) {
    case engagement::Label::kPoor:
      return 0;
    case engagement::Label::kWatch:
      return 1;
    case engagement::Label::kGood:
      return 2;
  }
  return 2;
}

void FillTrend(const engagement::Engagement& e, admin::v1::Trend* trend) {
  trend->set_this_week(static_cast<int32_t>(e.trend.this_week));
  *trend->mutable_baseline_mean() = NumberOrNull(e.trend.baseline_mean);
  *trend->mutable_ratio() =
      NumberOrNull(e.trend.ratio ? *e.trend.ratio : std::numeric_limits<double>::quiet_NaN());
}

void FillBreadth(const engagement::Engagement& e, admin::v1::Breadth* breadth) {
  breadth->set_active_users_14(static_cast<int32_t>(e.breadth.active_users));
  breadth->set_denominator(static_cast<int32_t>(e.breadth.denominator));
  breadth->set_basis(e.breadth.basis == engagement::BreadthBasis::kSeats ? "seats" : "peak_90d");
  *breadth->mutable_ratio() = NumberOrNull(e.breadth.ratio);
}

google::protobuf::Value AdoptionValue(const engagement::Engagement& e) {
  return NumberOrNull(e.milestones.adoption ? *e.milestones.adoption
                                            : std::numeric_limits<double>::quiet_NaN());
}

void FillAlertSummary(const StoredAlert& alert, admin::v1::AlertSummary* out) {
  out->set_alert_id(alert.alert_id);
  out->set_severity(std::string(engagement::DropStateName(alert.severity)));
  out->set_opened_at(FormatRfc3339(alert.opened_at));
}

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
    *factors->mutable_dependence() = FactorMessage(h.dependence);
    *factors->mutable_nps() = FactorMessage(h.nps);
    out.set_profile(std::string(engagement::HealthProfileName(h.profile)));
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
