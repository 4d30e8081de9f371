// The list handlers of EngagementApi that read the snapshot tables: the
// account list, its groups, an account's health history, the renewals and
// their forecast, each with filters, sorting and paging done in SQL and a
// CSV form (?format=csv) of every list.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cairn/admin/v1/accounts.pb.h"
#include "cairn/admin/v1/alerts.pb.h"
#include "cairn/common/event_rules.h"
#include "cairn/common/strings.h"
#include "cairn/engagement/day.h"
#include "http/proto_json.h"
#include "ops/json_text.h"
#include "store/account_snapshots.h"
#include "success/csv_text.h"
#include "success/engagement_api.h"
#include "success/engagement_views.h"
#include "success/list_paging.h"

namespace cairn::collector {
namespace {

using engagement::DayIndex;

constexpr size_t kMaxRecipients = 100;
constexpr int kMaxHistoryDays = kDefaultHealthHistoryDays;

// A text filter: 1-128 bytes of UTF-8.
absl::Status TextParam(const HttpRequest& request, std::string_view name,
                       std::optional<std::string>* out) {
  std::optional<std::string> text = request.QueryParam(name);
  if (!text) return absl::OkStatus();
  if (text->empty() || text->size() > 128 || !IsValidUtf8(*text)) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(name), " must be 1-128 bytes of UTF-8"));
  }
  *out = std::move(text);
  return absl::OkStatus();
}

// The filters every list takes: band, owner, plan, segment, q, alert.
absl::StatusOr<AccountFilter> ParseFilter(const HttpRequest& request) {
  AccountFilter f;
  if (std::optional<std::string> band = request.QueryParam("band")) {
    if (*band == "poor") {
      f.band_rank = 0;
    } else if (*band == "watch") {
      f.band_rank = 1;
    } else if (*band == "good") {
      f.band_rank = 2;
    } else {
      return absl::InvalidArgumentError("band must be poor, watch or good");
    }
  }
  for (auto [name, field] : {std::pair{"owner", &f.owner}, std::pair{"plan", &f.plan},
                             std::pair{"segment", &f.segment}, std::pair{"q", &f.search}}) {
    if (absl::Status s = TextParam(request, name, field); !s.ok()) return s;
  }
  if (std::optional<std::string> alert = request.QueryParam("alert")) {
    if (*alert != "open" && *alert != "any") {
      return absl::InvalidArgumentError("alert must be open or any");
    }
    f.open_alert_only = *alert == "open";
  }
  return f;
}

// The stored view with the live context of its settings.
absl::StatusOr<admin::v1::Account> AccountOf(const SnapshotListRow& row) {
  admin::v1::Account account;
  std::string bytes;
  // Fields of a newer build are kept as unknown fields and dropped on output.
  if (!absl::Base64Unescape(row.snapshot.view, &bytes) || !account.ParseFromString(bytes)) {
    return absl::DataLossError("snapshot view does not parse");
  }
  FillContext(row.settings, &account);
  return account;
}

// Currency with its cents: StrCat keeps only 6 significant digits.
std::string Money(double amount) { return absl::StrFormat("%.2f", amount); }

std::string Amount(const google::protobuf::Value& v) {
  return v.has_number_value() ? Money(v.number_value()) : "";
}

std::string NumberText(const google::protobuf::Value& v) {
  return v.has_number_value() ? absl::StrCat(v.number_value()) : "";
}

std::string StringText(const google::protobuf::Value& v) {
  return v.has_string_value() ? v.string_value() : "";
}

HttpResponse CsvResponse(std::string body, std::string_view name) {
  HttpResponse response;
  response.status = 200;
  response.headers.emplace_back("Content-Type", "text/csv; charset=utf-8");
  response.headers.emplace_back("Content-Disposition",
                                absl::StrCat("attachment; filename=\"", ToAbsl(name), ".csv\""));
  response.body = std::move(body);
  return response;
}

void AppendAccountCsv(const admin::v1::Account& a, std::string* out) {
  AppendCsvRow({a.account_id(), a.health().band(), absl::StrCat(a.health().score()),
                NumberText(a.trend().ratio()), absl::StrCat(a.login_days_14()),
                absl::StrCat(a.breadth().active_users_14()), absl::StrCat(a.trend().this_week()),
                StringText(a.owner()), StringText(a.plan()), Amount(a.arr()),
                absl::StrJoin(a.segments(), ";"), StringText(a.renewal_date()),
                a.has_open_alert() ? a.open_alert().severity() : "", a.evaluated_at()},
               out);
}

}  // namespace

HttpResponse EngagementApi::ListAccounts(const HttpRequest& request) {
  absl::StatusOr<Paging> paging = ParsePaging(request);
  if (!paging.ok()) return EngagementError(400, ToStd(paging.status().message()));
  absl::StatusOr<AccountFilter> filter = ParseFilter(request);
  if (!filter.ok()) return EngagementError(400, ToStd(filter.status().message()));
  std::optional<AccountSort> sort = ParseAccountSort(request.QueryParam("sort").value_or("risk"));
  if (!sort) {
    return EngagementError(
        400,
        "sort must be risk, score, -score, account_id, renewal_date, -arr, trend or "
        "active_users");
  }
  const absl::Time now = clock_->Now();
  if (absl::Status s = snapshots_.EnsureEvaluated(now); !s.ok()) return EngagementStoreFailure(s);
  AccountSnapshots tables(store_);
  if (paging->csv) {
    std::string body;
    AppendCsvRow({"account_id", "band", "score", "trend_ratio", "login_days_14", "active_users_14",
                  "logins_7d", "owner", "plan", "arr", "segments", "renewal_date", "open_alert",
                  "evaluated_at"},
                 &body);
    size_t offset = 0;
    int64_t total = 0;
    do {
      absl::StatusOr<SnapshotPage> page = tables.List(*filter, *sort, offset, kMaxPage);
      if (!page.ok()) return EngagementStoreFailure(page.status());
      total = page->total;
      for (const SnapshotListRow& row : page->rows) {
        absl::StatusOr<admin::v1::Account> account = AccountOf(row);
        if (!account.ok()) return EngagementStoreFailure(account.status());
        AppendAccountCsv(*account, &body);
      }
      if (page->rows.empty()) break;
      offset += page->rows.size();
    } while (offset < static_cast<size_t>(total) && offset < kMaxCsvRows);
    return CsvResponse(std::move(body), "accounts");
  }
  absl::StatusOr<SnapshotPage> page = tables.List(*filter, *sort, paging->offset, paging->limit);
  if (!page.ok()) return EngagementStoreFailure(page.status());
  admin::v1::AccountPage out;
  out.set_as_of(FormatRfc3339(page->evaluated_at.value_or(now)));
  for (const SnapshotListRow& row : page->rows) {
    absl::StatusOr<admin::v1::Account> account = AccountOf(row);
    if (!account.ok()) return EngagementStoreFailure(account.status());
    *out.add_accounts() = *std::move(account);
  }
  out.set_total(static_cast<uint32_t>(page->total));
  const size_t end = paging->offset + page->rows.size();
  if (end < static_cast<size_t>(page->total)) out.set_next_page_token(absl::StrCat(end));
  return AdminJsonResponse(out);
}

HttpResponse EngagementApi::AccountGroups(const HttpRequest& request) {
  absl::StatusOr<AccountFilter> filter = ParseFilter(request);
  if (!filter.ok()) return EngagementError(400, ToStd(filter.status().message()));
  const std::string by = request.QueryParam("group_by").value_or("owner");
  AccountGrouping grouping;
  if (by == "owner") {
    grouping = AccountGrouping::kOwner;
  } else if (by == "plan") {
    grouping = AccountGrouping::kPlan;
  } else if (by == "segment") {
    grouping = AccountGrouping::kSegment;
  } else if (by == "band") {
    grouping = AccountGrouping::kBand;
  } else {
    return EngagementError(400, "group_by must be owner, plan, segment or band");
  }
  const absl::Time now = clock_->Now();
  if (absl::Status s = snapshots_.EnsureEvaluated(now); !s.ok()) return EngagementStoreFailure(s);
  absl::StatusOr<std::vector<AccountGroup>> groups =
      AccountSnapshots(store_).Group(*filter, grouping);
  if (!groups.ok()) return EngagementStoreFailure(groups.status());
  admin::v1::AccountSummary out;
  out.set_as_of(FormatRfc3339(now));
  out.set_group_by(by);
  std::string csv;
  AppendCsvRow({by, "accounts", "poor", "watch", "good", "arr", "arr_at_risk", "mean_score"}, &csv);
  for (const AccountGroup& g : *groups) {
    admin::v1::AccountGroup* group = out.add_groups();
    int rank = 0;
    group->set_key(grouping == AccountGrouping::kBand && absl::SimpleAtoi(g.key, &rank)
                       ? std::string(BandNameOfRank(rank))
                       : g.key);
    group->set_accounts(static_cast<uint32_t>(g.accounts));
    group->set_poor(static_cast<uint32_t>(g.poor));
    group->set_watch(static_cast<uint32_t>(g.watch));
    group->set_good(static_cast<uint32_t>(g.good));
    group->set_arr(static_cast<double>(g.arr_cents) / 100.0);
    group->set_arr_at_risk(static_cast<double>(g.arr_at_risk_cents) / 100.0);
    group->set_mean_score(g.mean_score);
    AppendCsvRow({group->key(), absl::StrCat(g.accounts), absl::StrCat(g.poor),
                  absl::StrCat(g.watch), absl::StrCat(g.good), Money(group->arr()),
                  Money(group->arr_at_risk()), absl::StrCat(g.mean_score)},
                 &csv);
  }
  if (request.QueryParam("format").value_or("json") == "csv") {
    return CsvResponse(std::move(csv), "account-groups");
  }
  return AdminJsonResponse(out);
}

HttpResponse EngagementApi::History(const std::string& account_id, const HttpRequest& request) {
  int64_t days = 120;
  if (std::optional<std::string> text = request.QueryParam("days")) {
    if (!absl::SimpleAtoi(*text, &days) || days < 1 || days > kMaxHistoryDays) {
      return EngagementError(400, absl::StrCat("days must be 1-", kMaxHistoryDays));
    }
  }
  const DayIndex today = engagement::DayOf(clock_->Now());
  absl::StatusOr<std::vector<AccountSnapshot>> rows =
      AccountSnapshots(store_).History(account_id, today - days + 1);
  if (!rows.ok()) return EngagementStoreFailure(rows.status());
  admin::v1::HealthHistory out;
  out.set_account_id(account_id);
  for (const AccountSnapshot& r : *rows) {
    admin::v1::HealthDay* day = out.add_days();
    day->set_date(DateText(r.day));
    day->set_score(r.score);
    day->set_band(std::string(BandNameOfRank(r.band_rank)));
    auto factor = [](const std::optional<double>& v) {
      return NumberOrNull(v ? *v : std::numeric_limits<double>::quiet_NaN());
    };
    *day->mutable_frequency() = factor(r.frequency);
    *day->mutable_trend() = factor(r.trend);
    *day->mutable_breadth() = factor(r.breadth);
    *day->mutable_time_to_value() = factor(r.time_to_value);
    day->set_logins_week(static_cast<uint32_t>(r.logins_week));
    day->set_active_users(static_cast<uint32_t>(r.active_users));
  }
  return AdminJsonResponse(out);
}

HttpResponse EngagementApi::Renewals(const HttpRequest& request) {
  int64_t within = 30;
  if (std::optional<std::string> text = request.QueryParam("within_days")) {
    if (!absl::SimpleAtoi(*text, &within) || within < 1 || within > 366) {
      return EngagementError(400, "within_days must be 1-366");
    }
  }
  absl::StatusOr<Paging> paging = ParsePaging(request);
  if (!paging.ok()) return EngagementError(400, ToStd(paging.status().message()));
  absl::StatusOr<AccountFilter> filter = ParseFilter(request);
  if (!filter.ok()) return EngagementError(400, ToStd(filter.status().message()));
  const absl::Time now = clock_->Now();
  const DayIndex today = engagement::DayOf(now);
  filter->renewal_from = today;
  filter->renewal_to = today + within;
  if (absl::Status s = snapshots_.EnsureEvaluated(now); !s.ok()) return EngagementStoreFailure(s);
  AccountSnapshots tables(store_);
  const size_t offset = paging->csv ? 0 : paging->offset;
  const size_t limit = paging->csv ? kMaxCsvRows : paging->limit;
  absl::StatusOr<SnapshotPage> page =
      tables.List(*filter, AccountSort::kRenewal, offset, limit, /*with_views=*/false);
  if (!page.ok()) return EngagementStoreFailure(page.status());
  admin::v1::RenewalList out;
  out.set_as_of(FormatRfc3339(now));
  std::string csv;
  AppendCsvRow({"account_id", "renewal_date", "days_left", "band", "score", "owner", "plan", "arr",
                "segments", "notification_recipients"},
               &csv);
  for (const SnapshotListRow& row : page->rows) {
    if (!row.settings || !row.settings->renewal_date) continue;
    const DayIndex renewal = *row.settings->renewal_date;
    admin::v1::Renewal* r = out.add_renewals();
    r->set_account_id(row.snapshot.account_id);
    r->set_renewal_date(DateText(renewal));
    r->set_days_left(static_cast<int32_t>(renewal - today));
    r->mutable_health()->set_score(row.snapshot.score);
    r->mutable_health()->set_band(std::string(BandNameOfRank(row.snapshot.band_rank)));
    *r->mutable_owner() = TextOrNull(row.settings->owner);
    *r->mutable_plan() = TextOrNull(row.settings->plan);
    *r->mutable_arr() = MoneyOrNull(row.settings->arr_cents);
    for (const std::string& segment : row.settings->segments) r->add_segments(segment);
    // Same rule as /v1/renewal-notifications/recipients: live grants only,
    // never a suppressed (opted-out) or erased user; read now, not from the
    // snapshot, so an opt-out counts at once.
    absl::StatusOr<RecipientsPage> recipients =
        store_->RenewalRecipients(row.snapshot.account_id, "", kMaxRecipients, now);
    if (!recipients.ok()) return EngagementStoreFailure(recipients.status());
    for (const std::string& user : recipients->user_ids) r->add_notification_recipients(user);
    r->set_recipients_truncated(recipients->next_after.has_value());
    // The export carries the count only: user ids stay in the API.
    AppendCsvRow(
        {r->account_id(), r->renewal_date(), absl::StrCat(r->days_left()), r->health().band(),
         absl::StrCat(r->health().score()), StringText(r->owner()), StringText(r->plan()),
         Amount(r->arr()), absl::StrJoin(r->segments(), ";"),
         absl::StrCat(recipients->user_ids.size(), recipients->next_after.has_value() ? "+" : "")},
        &csv);
  }
  if (paging->csv) return CsvResponse(std::move(csv), "renewals");
  out.set_total(static_cast<uint32_t>(page->total));
  const size_t end = offset + page->rows.size();
  if (end < static_cast<size_t>(page->total)) out.set_next_page_token(absl::StrCat(end));
  return AdminJsonResponse(out);
}

HttpResponse EngagementApi::Forecast(const HttpRequest& request) {
  int64_t months = 12;
  if (std::optional<std::string> text = request.QueryParam("months")) {
    if (!absl::SimpleAtoi(*text, &months) || months < 1 || months > 24) {
      return EngagementError(400, "months must be 1-24");
    }
  }
  absl::StatusOr<AccountFilter> filter = ParseFilter(request);
  if (!filter.ok()) return EngagementError(400, ToStd(filter.status().message()));
  const absl::Time now = clock_->Now();
  const absl::CivilDay today = absl::ToCivilDay(now, absl::UTCTimeZone());
  const absl::CivilMonth first(today);
  const absl::CivilMonth after_last = first + months;
  filter->renewal_from =
      engagement::DayOf(absl::FromCivil(absl::CivilDay(first), absl::UTCTimeZone()));
  filter->renewal_to =
      engagement::DayOf(absl::FromCivil(absl::CivilDay(after_last), absl::UTCTimeZone())) - 1;
  if (absl::Status s = snapshots_.EnsureEvaluated(now); !s.ok()) return EngagementStoreFailure(s);
  absl::StatusOr<std::vector<RenewalTotal>> totals =
      AccountSnapshots(store_).RenewalTotals(*filter);
  if (!totals.ok()) return EngagementStoreFailure(totals.status());
  admin::v1::RenewalForecast out;
  out.set_as_of(FormatRfc3339(now));
  std::map<absl::CivilMonth, admin::v1::ForecastMonth> by_month;
  for (absl::CivilMonth m = first; m < after_last; ++m) {
    by_month[m].set_month(absl::FormatCivilTime(m));
  }
  double at_risk = 0;
  for (const RenewalTotal& t : *totals) {
    const absl::CivilMonth month(
        absl::ToCivilDay(engagement::StartOfDay(t.day), absl::UTCTimeZone()));
    auto it = by_month.find(month);
    if (it == by_month.end()) continue;
    admin::v1::ForecastMonth& m = it->second;
    const double arr = static_cast<double>(t.arr_cents) / 100.0;
    const auto n = static_cast<uint32_t>(t.accounts);
    m.set_accounts(m.accounts() + n);
    m.set_arr(m.arr() + arr);
    switch (t.band_rank) {
      case 0:
        m.set_poor(m.poor() + n);
        m.set_arr_poor(m.arr_poor() + arr);
        at_risk += arr;
        break;
      case 1:
        m.set_watch(m.watch() + n);
        m.set_arr_watch(m.arr_watch() + arr);
        at_risk += arr;
        break;
      default:
        m.set_good(m.good() + n);
        m.set_arr_good(m.arr_good() + arr);
        break;
    }
  }
  for (auto& [month, m] : by_month) *out.add_months() = std::move(m);
  out.set_arr_at_risk(at_risk);
  return AdminJsonResponse(out);
}

}  // namespace cairn::collector
