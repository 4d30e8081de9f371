// The outcome handlers of EngagementApi: renewal outcomes recorded by the
// vendor, gross and net retention and churn per month, and the backtest of
// health N days before each renewal against its outcome.
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cairn/admin/v1/accounts.pb.h"
#include "cairn/common/strings.h"
#include "cairn/engagement/day.h"
#include "http/proto_json.h"
#include "ops/json_text.h"
#include "store/engagement_store.h"
#include "store/renewal_outcomes.h"
#include "success/engagement_api.h"
#include "success/engagement_views.h"

namespace cairn::collector {
namespace {

using engagement::DayIndex;

constexpr double kMaxAmount = 1e13;

// An amount in currency units as cents; nullopt for null or absent.
absl::StatusOr<std::optional<int64_t>> Cents(const google::protobuf::Value& v, bool present,
                                             std::string_view field) {
  if (!present || v.has_null_value()) return std::optional<int64_t>();
  const double amount = v.number_value();
  if (!v.has_number_value() || !std::isfinite(amount) || amount < 0 || amount > kMaxAmount) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(field), " must be a number from 0 to 10^13"));
  }
  return std::optional<int64_t>(std::llround(amount * 100.0));
}

google::protobuf::Value Ratio(double numerator, double denominator) {
  return NumberOrNull(denominator > 0 ? numerator / denominator
                                      : std::numeric_limits<double>::quiet_NaN());
}

admin::v1::RenewalOutcome OutcomeMessage(const RenewalOutcome& o) {
  admin::v1::RenewalOutcome out;
  out.set_account_id(o.account_id);
  out.set_renewal_date(DateText(o.renewal_day));
  out.set_outcome(std::string(OutcomeName(o.outcome)));
  out.set_arr_before(static_cast<double>(o.arr_before_cents) / 100.0);
  out.set_arr_after(static_cast<double>(o.arr_after_cents) / 100.0);
  out.set_recorded_at(FormatRfc3339(o.recorded_at));
  return out;
}

// Adds one outcome to a month's (or the total's) figures.
void Count(const RenewalOutcome& o, admin::v1::RetentionFigures* f) {
  f->set_renewals(f->renewals() + 1);
  switch (o.outcome) {
    case Outcome::kRenewed:
      f->set_renewed(f->renewed() + 1);
      break;
    case Outcome::kChurned:
      f->set_churned(f->churned() + 1);
      break;
    case Outcome::kDowngraded:
      f->set_downgraded(f->downgraded() + 1);
      break;
    case Outcome::kExpanded:
      f->set_expanded(f->expanded() + 1);
      break;
  }
  f->set_arr_before(f->arr_before() + static_cast<double>(o.arr_before_cents) / 100.0);
  f->set_arr_after(f->arr_after() + static_cast<double>(o.arr_after_cents) / 100.0);
}

// Gross retention counts losses only (churn, downgrades), never expansion.
void Finish(const std::vector<const RenewalOutcome*>& outcomes, admin::v1::RetentionFigures* f) {
  double kept = 0;
  for (const RenewalOutcome* o : outcomes) {
    kept += static_cast<double>(std::min(o->arr_before_cents, o->arr_after_cents)) / 100.0;
  }
  *f->mutable_gross_retention() = Ratio(kept, f->arr_before());
  *f->mutable_net_retention() = Ratio(f->arr_after(), f->arr_before());
  *f->mutable_churn_rate() = Ratio(f->churned(), f->renewals());
}

// The first day of the month `months - 1` before today's, and today.
std::pair<DayIndex, DayIndex> LastMonths(absl::Time now, int64_t months) {
  const absl::CivilMonth first =
      absl::CivilMonth(absl::ToCivilDay(now, absl::UTCTimeZone())) - (months - 1);
  return {engagement::DayOf(absl::FromCivil(absl::CivilDay(first), absl::UTCTimeZone())),
          engagement::DayOf(now)};
}

absl::StatusOr<int64_t> MonthsParam(const HttpRequest& request) {
  int64_t months = 12;
  if (std::optional<std::string> text = request.QueryParam("months")) {
    if (!absl::SimpleAtoi(*text, &months) || months < 1 || months > 36) {
      return absl::InvalidArgumentError("months must be 1-36");
    }
  }
  return months;
}

}  // namespace

HttpResponse EngagementApi::RecordOutcome(const std::string& account_id,
                                          const HttpRequest& request) {
  admin::v1::RecordOutcomeRequest body;
  if (absl::Status s = ParseAdminBody(request.body, &body); !s.ok()) {
    return EngagementError(400, ToStd(s.message()));
  }
  std::optional<DayIndex> day = ParseDateText(body.renewal_date());
  if (!day) return EngagementError(400, "renewal_date must be \"YYYY-MM-DD\"");
  std::optional<Outcome> outcome = ParseOutcome(body.outcome());
  if (!outcome) {
    return EngagementError(400, "outcome must be renewed, churned, downgraded or expanded");
  }
  absl::StatusOr<std::optional<int64_t>> before =
      Cents(body.arr_before(), body.has_arr_before(), "arr_before");
  if (!before.ok()) return EngagementError(400, ToStd(before.status().message()));
  absl::StatusOr<std::optional<int64_t>> after =
      Cents(body.arr_after(), body.has_arr_after(), "arr_after");
  if (!after.ok()) return EngagementError(400, ToStd(after.status().message()));
  RenewalOutcome o;
  o.account_id = account_id;
  o.renewal_day = *day;
  o.outcome = *outcome;
  if (*before) {
    o.arr_before_cents = **before;
  } else {
    absl::StatusOr<std::optional<AccountSettings>> settings =
        EngagementStore(store_).GetAccountSettings(account_id);
    if (!settings.ok()) return EngagementStoreFailure(settings.status());
    if (!*settings || !(*settings)->arr_cents) {
      return EngagementError(400, "arr_before is required: the account has no ARR set");
    }
    o.arr_before_cents = *(*settings)->arr_cents;
  }
  switch (o.outcome) {
    case Outcome::kChurned:
      if (*after && **after != 0) return EngagementError(400, "a churned account's arr_after is 0");
      o.arr_after_cents = 0;
      break;
    case Outcome::kRenewed:
      o.arr_after_cents = after->value_or(o.arr_before_cents);
      if (o.arr_after_cents != o.arr_before_cents) {
        return EngagementError(400, "renewed keeps its ARR: use downgraded or expanded");
      }
      break;
    case Outcome::kDowngraded:
    case Outcome::kExpanded:
      if (!*after) return EngagementError(400, "arr_after is required for this outcome");
      o.arr_after_cents = **after;
      if ((o.outcome == Outcome::kDowngraded) != (o.arr_after_cents < o.arr_before_cents) ||
          o.arr_after_cents == o.arr_before_cents) {
        return EngagementError(400,
                               "arr_after must be below arr_before for downgraded, above "
                               "it for expanded");
      }
      break;
  }
  const absl::Time now = clock_->Now();
  if (absl::Status s = RenewalOutcomes(store_).Put(o, now); !s.ok()) {
    return EngagementStoreFailure(s);
  }
  o.recorded_at = absl::FromUnixMillis(absl::ToUnixMillis(now));
  return AdminJsonResponse(OutcomeMessage(o), 201);
}

HttpResponse EngagementApi::ListOutcomes(const std::string& account_id) {
  absl::StatusOr<std::vector<RenewalOutcome>> outcomes = RenewalOutcomes(store_).List(
      std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), account_id);
  if (!outcomes.ok()) return EngagementStoreFailure(outcomes.status());
  admin::v1::OutcomeList out;
  for (const RenewalOutcome& o : *outcomes) *out.add_outcomes() = OutcomeMessage(o);
  return AdminJsonResponse(out);
}

HttpResponse EngagementApi::Retention(const HttpRequest& request) {
  absl::StatusOr<int64_t> months = MonthsParam(request);
  if (!months.ok()) return EngagementError(400, ToStd(months.status().message()));
  const absl::Time now = clock_->Now();
  const auto [from, to] = LastMonths(now, *months);
  absl::StatusOr<std::vector<RenewalOutcome>> outcomes = RenewalOutcomes(store_).List(from, to);
  if (!outcomes.ok()) return EngagementStoreFailure(outcomes.status());
  std::map<absl::CivilMonth, std::vector<const RenewalOutcome*>> by_month;
  const absl::CivilMonth first(absl::ToCivilDay(engagement::StartOfDay(from), absl::UTCTimeZone()));
  for (absl::CivilMonth m = first; m < first + *months; ++m) by_month[m];
  for (const RenewalOutcome& o : *outcomes) {
    by_month[absl::CivilMonth(
                 absl::ToCivilDay(engagement::StartOfDay(o.renewal_day), absl::UTCTimeZone()))]
        .push_back(&o);
  }
  admin::v1::RetentionReport out;
  out.set_as_of(FormatRfc3339(now));
  std::vector<const RenewalOutcome*> all;
  admin::v1::RetentionFigures* total = out.mutable_total();
  total->set_month("all");
  for (const auto& [month, list] : by_month) {
    admin::v1::RetentionFigures* f = out.add_months();
    f->set_month(absl::FormatCivilTime(month));
    for (const RenewalOutcome* o : list) {
      Count(*o, f);
      Count(*o, total);
      all.push_back(o);
    }
    Finish(list, f);
  }
  Finish(all, total);
  return AdminJsonResponse(out);
}

HttpResponse EngagementApi::Backtest(const HttpRequest& request) {
  absl::StatusOr<int64_t> months = MonthsParam(request);
  if (!months.ok()) return EngagementError(400, ToStd(months.status().message()));
  int64_t days_before = 30;
  if (std::optional<std::string> text = request.QueryParam("days_before")) {
    if (!absl::SimpleAtoi(*text, &days_before) || days_before < 0 || days_before > 365) {
      return EngagementError(400, "days_before must be 0-365");
    }
  }
  const absl::Time now = clock_->Now();
  const auto [from, to] = LastMonths(now, *months);
  absl::StatusOr<std::vector<RenewalOutcome>> outcomes =
      RenewalOutcomes(store_).List(from, to, std::nullopt, static_cast<int>(days_before));
  if (!outcomes.ok()) return EngagementStoreFailure(outcomes.status());
  // Rows: poor, watch, good, unknown.
  admin::v1::BacktestReport out;
  out.set_as_of(FormatRfc3339(now));
  out.set_days_before(static_cast<int32_t>(days_before));
  for (std::string_view band : {"poor", "watch", "good", "unknown"}) {
    out.add_bands()->set_band(std::string(band));
  }
  double at_risk = 0, at_risk_lost = 0, lost_with_history = 0;
  for (const RenewalOutcome& o : *outcomes) {
    const int row = o.band_rank_before ? *o.band_rank_before : 3;
    admin::v1::BacktestBand* b = out.mutable_bands(row);
    b->set_renewals(b->renewals() + 1);
    const bool lost = o.outcome == Outcome::kChurned || o.outcome == Outcome::kDowngraded;
    switch (o.outcome) {
      case Outcome::kRenewed:
        b->set_renewed(b->renewed() + 1);
        break;
      case Outcome::kChurned:
        b->set_churned(b->churned() + 1);
        break;
      case Outcome::kDowngraded:
        b->set_downgraded(b->downgraded() + 1);
        break;
      case Outcome::kExpanded:
        b->set_expanded(b->expanded() + 1);
        break;
    }
    if (!o.band_rank_before) continue;
    const bool risky = *o.band_rank_before < 2;
    if (risky) ++at_risk;
    if (risky && lost) ++at_risk_lost;
    if (lost) ++lost_with_history;
  }
  *out.mutable_precision() = Ratio(at_risk_lost, at_risk);
  *out.mutable_recall() = Ratio(at_risk_lost, lost_with_history);
  return AdminJsonResponse(out);
}

}  // namespace cairn::collector
