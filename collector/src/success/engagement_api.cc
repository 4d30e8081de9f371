#include "success/engagement_api.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "auth/customer_link.h"
#include "store/engagement_store.h"
#include "ops/log.h"
#include "cairn/common/event_rules.h"
#include "cairn/common/json_value.h"
#include "cairn/common/strings.h"
#include "cairn/engagement/day.h"
#include "ops/json_text.h"

namespace cairn::collector {
namespace {

using engagement::DayIndex;

constexpr std::string_view kAccountsPath = "/v1/accounts";
constexpr std::string_view kAccountsPrefix = "/v1/accounts/";
constexpr std::string_view kAlertsPath = "/v1/alerts";
constexpr std::string_view kEvaluatePath = "/v1/alerts/evaluate";
constexpr std::string_view kRenewalsPath = "/v1/renewals/upcoming";
constexpr std::string_view kCustomerPath = "/v1/customer/overview";
constexpr size_t kMaxAccountsPage = 1000;
constexpr size_t kDefaultAccountsPage = 100;
constexpr size_t kMaxAlertsListed = 1000;
constexpr size_t kMaxRecipients = 100;
constexpr size_t kMaxGoalNameBytes = 200;

enum class Route {
  kNone,
  kAccounts,
  kAccount,
  kGoals,
  kGoal,
  kCustomerLink,
  kAlerts,
  kEvaluate,
  kRenewals,
  kCustomer
};

struct Target {
  Route route = Route::kNone;
  std::string_view raw_account;  // percent-encoded
  std::string_view raw_goal;
};

Target ParseTarget(std::string_view path) {
  if (path == kAccountsPath) return {Route::kAccounts, {}, {}};
  if (path == kAlertsPath) return {Route::kAlerts, {}, {}};
  if (path == kEvaluatePath) return {Route::kEvaluate, {}, {}};
  if (path == kRenewalsPath) return {Route::kRenewals, {}, {}};
  if (path == kCustomerPath) return {Route::kCustomer, {}, {}};
  if (!absl::StartsWith(ToAbsl(path), ToAbsl(kAccountsPrefix))) return {};
  std::vector<std::string_view> parts;
  for (absl::string_view p : absl::StrSplit(ToAbsl(path.substr(kAccountsPrefix.size())), '/')) {
    parts.push_back(ToStd(p));
  }
  if (parts.empty() || parts[0].empty()) return {};
  if (parts.size() == 1) return {Route::kAccount, parts[0], {}};
  if (parts.size() == 2 && parts[1] == "goals") return {Route::kGoals, parts[0], {}};
  if (parts.size() == 2 && parts[1] == "customer-link") {
    return {Route::kCustomerLink, parts[0], {}};
  }
  if (parts.size() == 3 && parts[1] == "goals" && !parts[2].empty()) {
    return {Route::kGoal, parts[0], parts[2]};
  }
  return {};
}

std::string_view Methods(Route route) {
  switch (route) {
    case Route::kAccounts: return "GET";
    case Route::kAccount: return "GET, PUT";
    case Route::kGoals: return "GET, POST";
    case Route::kGoal: return "DELETE";
    case Route::kCustomerLink: return "POST";
    case Route::kAlerts: return "GET";
    case Route::kEvaluate: return "POST";
    case Route::kRenewals: return "GET";
    case Route::kCustomer: return "GET";
    case Route::kNone: break;
  }
  return "";
}

HttpResponse Error(int status, std::string_view reason) {
  if (status >= 500) {
    Log(LogLevel::kError, "request_rejected",
        {{"route", "engagement"},
         {"status", std::to_string(status)},
         {"reason", std::string(reason)}});
  }
  return TextResponse(status, reason);
}

HttpResponse StoreFailure(const absl::Status& status) {
  Log(LogLevel::kError, "engagement_store_failed",
      {{"code", absl::StatusCodeToString(status.code())}});
  HttpResponse response = TextResponse(503, "storage unavailable, retry later");
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

HttpResponse Json(std::string body, int status = 200) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(body);
  response.body.push_back('\n');
  return response;
}

std::string Num(double v) {
  if (!std::isfinite(v)) return "null";
  std::string s = absl::StrFormat("%.6g", v);
  return s;
}

std::string Date(DayIndex day) {
  return absl::FormatTime("%Y-%m-%d", engagement::StartOfDay(day), absl::UTCTimeZone());
}

std::optional<DayIndex> ParseDate(std::string_view text) {
  if (text.size() != 10) return std::nullopt;
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d", std::string(text), absl::UTCTimeZone(), &t, &err)) {
    return std::nullopt;
  }
  DayIndex day = engagement::DayOf(t);
  if (Date(day) != text) return std::nullopt;
  return day;
}

void AppendDateOrNull(const std::optional<DayIndex>& day, std::string* out) {
  if (day) {
    absl::StrAppend(out, "\"", Date(*day), "\"");
  } else {
    out->append("null");
  }
}

void AppendFactor(std::string_view name, const engagement::Factor& f, std::string* out) {
  absl::StrAppend(out, "\"", ToAbsl(name), "\":{\"applicable\":", f.applicable ? "true" : "false",
                  ",\"score\":", Num(f.score), ",\"band\":\"",
                  ToAbsl(engagement::LabelName(f.label)), "\",\"weight\":", f.weight, "}");
}

void AppendHealth(const engagement::Health& h, bool full, std::string* out) {
  absl::StrAppend(out, "{\"score\":", h.score, ",\"band\":\"",
                  ToAbsl(engagement::LabelName(h.band)), "\"");
  if (full) {
    absl::StrAppend(out, ",\"capped\":", h.capped ? "true" : "false", ",\"factors\":{");
    AppendFactor("frequency", h.frequency, out);
    out->push_back(',');
    AppendFactor("trend", h.trend, out);
    out->push_back(',');
    AppendFactor("breadth", h.breadth, out);
    out->push_back(',');
    AppendFactor("time_to_value", h.time_to_value, out);
    out->push_back('}');
  }
  out->push_back('}');
}

void AppendAlertSummary(const StoredAlert& a, std::string* out) {
  out->append("{\"alert_id\":");
  AppendJsonString(a.alert_id, out);
  absl::StrAppend(out, ",\"severity\":\"", ToAbsl(engagement::DropStateName(a.severity)),
                  "\",\"opened_at\":\"", FormatRfc3339(a.opened_at), "\"}");
}

void AppendAccount(const AccountView& v, std::string* out) {
  const engagement::Engagement& e = v.engagement;
  out->append("{\"account_id\":");
  AppendJsonString(e.account_id, out);
  out->append(",\"health\":");
  AppendHealth(e.health, true, out);
  absl::StrAppend(out, ",\"login_days_14\":", e.login_days_14, ",\"frequency_band\":\"",
                  ToAbsl(engagement::FrequencyBandName(e.frequency_band)), "\"");
  absl::StrAppend(out, ",\"trend\":{\"this_week\":", e.trend.this_week,
                  ",\"baseline_mean\":", Num(e.trend.baseline_mean),
                  ",\"ratio\":", e.trend.ratio ? Num(*e.trend.ratio) : std::string("null"), "}");
  absl::StrAppend(out, ",\"breadth\":{\"active_users_14\":", e.breadth.active_users,
                  ",\"denominator\":", e.breadth.denominator, ",\"basis\":\"",
                  e.breadth.basis == engagement::BreadthBasis::kSeats ? "seats" : "peak_90d",
                  "\",\"ratio\":", Num(e.breadth.ratio), "}");
  absl::StrAppend(out, ",\"adoption\":",
                  e.milestones.adoption ? Num(*e.milestones.adoption) : std::string("null"));
  out->append(",\"weekly_logins\":[");
  for (size_t i = 0; i < v.weekly_logins.size(); ++i) {
    absl::StrAppend(out, i == 0 ? "" : ",", v.weekly_logins[i]);
  }
  out->append("],\"seats\":");
  if (v.settings && v.settings->seats) {
    absl::StrAppend(out, *v.settings->seats);
  } else {
    out->append("null");
  }
  out->append(",\"renewal_date\":");
  AppendDateOrNull(v.settings ? v.settings->renewal_date : std::nullopt, out);
  out->append(",\"open_alert\":");
  if (v.open_alert) {
    AppendAlertSummary(*v.open_alert, out);
  } else {
    out->append("null");
  }
}

void AppendGoal(const GoalView& g, std::string* out) {
  const engagement::Goal& goal = g.goal.goal;
  out->append("{\"goal_id\":");
  AppendJsonString(g.goal.goal_id, out);
  out->append(",\"account_id\":");
  AppendJsonString(goal.account_id, out);
  out->append(",\"name\":");
  AppendJsonString(goal.name, out);
  out->append(",\"milestone_name\":");
  AppendJsonString(goal.milestone_name, out);
  absl::StrAppend(out, ",\"target_count\":", goal.target_count, ",\"start\":\"", Date(goal.start),
                  "\",\"due\":");
  AppendDateOrNull(goal.due, out);
  absl::StrAppend(out, ",\"count\":", g.progress.count, ",\"expected\":", Num(g.progress.expected),
                  ",\"fraction\":", Num(g.progress.fraction), ",\"status\":\"",
                  ToAbsl(engagement::GoalStatusName(g.progress.status)), "\"}");
}

void AppendGoals(const std::vector<GoalView>& goals, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < goals.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendGoal(goals[i], out);
  }
  out->push_back(']');
}

void AppendSettings(const AccountSettings& s, std::string* out) {
  out->append("{\"account_id\":");
  AppendJsonString(s.account_id, out);
  out->append(",\"seats\":");
  if (s.seats) {
    absl::StrAppend(out, *s.seats);
  } else {
    out->append("null");
  }
  out->append(",\"renewal_date\":");
  AppendDateOrNull(s.renewal_date, out);
  out->append(",\"key_milestones\":[");
  for (size_t i = 0; i < s.key_milestones.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(s.key_milestones[i], out);
  }
  out->append("]}");
}

std::optional<std::string> DecodeId(std::string_view raw) {
  std::optional<std::string> id = PercentDecode(raw);
  if (!id || !IsValidId(*id)) return std::nullopt;
  return id;
}

// Parses a request body that must be a JSON object (an empty body is {}).
absl::StatusOr<JsonValue> BodyObject(const HttpRequest& request) {
  std::string_view body = request.body;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return JsonValue::Object({});
  }
  // Admin bodies are flat; 32 levels is plenty.
  absl::StatusOr<JsonValue> value = ParseJson(body, 32);
  if (!value.ok()) return value.status();
  if (value->type() != JsonValue::Type::kObject) {
    return absl::InvalidArgumentError("the body must be a JSON object");
  }
  return value;
}

}  // namespace

EngagementApi::EngagementApi(Store* store, Clock* clock, AlertEvaluator* evaluator,
                             std::string link_key, OnEvaluated on_evaluated)
    : store_(store),
      clock_(clock),
      evaluator_(evaluator),
      link_key_(std::move(link_key)),
      on_evaluated_(std::move(on_evaluated)),
      health_(store) {}

bool EngagementApi::IsEngagementPath(std::string_view path) {
  return path == kAccountsPath || path == kAlertsPath || path == kEvaluatePath ||
         path == kRenewalsPath || path == kCustomerPath ||
         absl::StartsWith(ToAbsl(path), ToAbsl(kAccountsPrefix));
}

bool EngagementApi::IsCustomerPath(std::string_view path) { return path == kCustomerPath; }

std::string EngagementApi::AllowedMethods(std::string_view path) {
  return std::string(Methods(ParseTarget(path).route));
}

HttpResponse EngagementApi::Handle(const HttpRequest& request) {
  Target target = ParseTarget(request.Path());
  std::optional<std::string> account;
  if (!target.raw_account.empty()) {
    account = DecodeId(target.raw_account);
    if (!account) return Error(400, "account id must be 1-128 printable bytes, %-encoded");
  }
  const std::string& m = request.method;
  switch (target.route) {
    case Route::kAccounts: return ListAccounts(request);
    case Route::kAccount: return m == "PUT" ? PutAccount(*account, request) : GetAccount(*account);
    case Route::kGoals: return m == "POST" ? CreateGoal(*account, request) : ListGoals(*account);
    case Route::kGoal: {
      std::optional<std::string> goal = DecodeId(target.raw_goal);
      if (!goal) return Error(404, "no such goal");
      return DeleteGoal(*account, *goal);
    }
    case Route::kCustomerLink: return CustomerLinkFor(*account, request);
    case Route::kAlerts: return ListAlerts(request);
    case Route::kEvaluate: return Evaluate();
    case Route::kRenewals: return Renewals(request);
    case Route::kCustomer: return CustomerOverview(request);
    case Route::kNone: break;
  }
  return Error(404, "not found");
}

HttpResponse EngagementApi::ListAccounts(const HttpRequest& request) {
  size_t limit = kDefaultAccountsPage;
  if (std::optional<std::string> text = request.QueryParam("limit")) {
    uint64_t parsed = 0;
    if (!absl::SimpleAtoi(*text, &parsed) || parsed == 0 || parsed > kMaxAccountsPage) {
      return Error(400, absl::StrCat("limit must be 1-", kMaxAccountsPage));
    }
    limit = static_cast<size_t>(parsed);
  }
  size_t offset = 0;
  if (std::optional<std::string> token = request.QueryParam("page_token");
      token && !token->empty()) {
    uint64_t parsed = 0;
    if (!absl::SimpleAtoi(*token, &parsed)) return Error(400, "bad page_token");
    offset = static_cast<size_t>(parsed);
  }
  const absl::Time now = clock_->Now();
  absl::StatusOr<std::vector<AccountView>> views = health_.ComputeAll(now);
  if (!views.ok()) return StoreFailure(views.status());
  std::string out = absl::StrCat("{\"as_of\":\"", FormatRfc3339(now), "\",\"accounts\":[");
  const size_t end = std::min(views->size(), offset + limit);
  for (size_t i = offset; i < end; ++i) {
    if (i > offset) out.push_back(',');
    AppendAccount((*views)[i], &out);
    out.push_back('}');
  }
  absl::StrAppend(&out, "],\"next_page_token\":\"",
                  end < views->size() ? absl::StrCat(end) : std::string(), "\"}");
  return Json(std::move(out));
}

HttpResponse EngagementApi::GetAccount(const std::string& account_id) {
  const absl::Time now = clock_->Now();
  absl::StatusOr<AccountView> view = health_.Compute(account_id, now);
  if (!view.ok()) return StoreFailure(view.status());
  // Listed accounts have settings, a first login or a milestone; only when
  // none shows as of now (rows dated ahead of the clock) is the full list
  // consulted.
  if (!view->settings && !view->engagement.milestones.account_first_login &&
      view->milestones.empty()) {
    absl::StatusOr<std::vector<std::string>> ids = EngagementStore(store_).ListAccountIds();
    if (!ids.ok()) return StoreFailure(ids.status());
    if (!std::binary_search(ids->begin(), ids->end(), account_id)) {
      return Error(404, "no such account");
    }
  }
  absl::StatusOr<std::vector<GoalView>> goals = health_.Goals(account_id, now);
  if (!goals.ok()) return StoreFailure(goals.status());
  std::string out;
  AppendAccount(*view, &out);
  const engagement::MilestoneSummary& summary = view->engagement.milestones;
  std::vector<std::string> keys =
      view->settings ? view->settings->key_milestones : std::vector<std::string>{};
  out.append(",\"milestones\":[");
  for (size_t i = 0; i < view->milestones.size(); ++i) {
    const auto& [name, first] = view->milestones[i];
    if (i > 0) out.push_back(',');
    out.append("{\"name\":");
    AppendJsonString(name, &out);
    absl::StrAppend(&out, ",\"first_reached\":\"", FormatRfc3339(first),
                    "\",\"time_to_value_seconds\":");
    if (summary.account_first_login) {
      absl::StrAppend(
          &out, std::max<int64_t>(0, absl::ToInt64Seconds(first - *summary.account_first_login)));
    } else {
      out.append("null");
    }
    absl::StrAppend(&out, ",\"key\":",
                    std::find(keys.begin(), keys.end(), name) != keys.end() ? "true" : "false",
                    "}");
  }
  out.append("],\"goals\":");
  AppendGoals(*goals, &out);
  out.push_back('}');
  return Json(std::move(out));
}

HttpResponse EngagementApi::PutAccount(const std::string& account_id, const HttpRequest& request) {
  absl::StatusOr<JsonValue> body = BodyObject(request);
  if (!body.ok()) return Error(400, ToStd(body.status().message()));
  EngagementStore tables(store_);
  absl::StatusOr<std::optional<AccountSettings>> current = tables.GetAccountSettings(account_id);
  if (!current.ok()) return StoreFailure(current.status());
  AccountSettings settings = current->value_or(AccountSettings{});
  settings.account_id = account_id;
  for (const auto& [key, value] : body->members()) {
    const bool null = value.type() == JsonValue::Type::kNull;
    if (key == "seats") {
      if (null) {
        settings.seats.reset();
        continue;
      }
      std::optional<int64_t> seats = value.AsInt();
      if (!seats || *seats < 0) return Error(400, "seats must be an integer >= 0 or null");
      settings.seats = *seats;
    } else if (key == "renewal_date") {
      if (null) {
        settings.renewal_date.reset();
        continue;
      }
      std::optional<DayIndex> day;
      if (value.type() == JsonValue::Type::kString) day = ParseDate(value.str());
      if (!day) return Error(400, "renewal_date must be \"YYYY-MM-DD\" or null");
      settings.renewal_date = *day;
    } else if (key == "key_milestones") {
      if (null) {
        settings.key_milestones.clear();
        continue;
      }
      if (value.type() != JsonValue::Type::kArray) {
        return Error(400, "key_milestones must be an array of milestone names or null");
      }
      if (value.items().size() > kMaxKeyMilestones) {
        return Error(400, absl::StrCat("at most ", kMaxKeyMilestones, " key milestones"));
      }
      std::vector<std::string> names;
      for (const JsonValue& item : value.items()) {
        if (item.type() != JsonValue::Type::kString || !IsValidMilestoneName(item.str())) {
          return Error(400, "key milestone names must be 1-128 bytes of [A-Za-z0-9_.:-]");
        }
        if (std::find(names.begin(), names.end(), item.str()) == names.end()) {
          names.push_back(item.str());
        }
      }
      settings.key_milestones = std::move(names);
    }
    // Unknown members are ignored, like unknown JSON fields elsewhere.
  }
  if (absl::Status s = tables.PutAccountSettings(settings, clock_->Now()); !s.ok()) {
    return StoreFailure(s);
  }
  Log(LogLevel::kInfo, "account_settings_updated", {{"account_id", account_id}});
  std::string out;
  AppendSettings(settings, &out);
  return Json(std::move(out));
}

HttpResponse EngagementApi::ListGoals(const std::string& account_id) {
  absl::StatusOr<std::vector<GoalView>> goals = health_.Goals(account_id, clock_->Now());
  if (!goals.ok()) return StoreFailure(goals.status());
  std::string out = "{\"goals\":";
  AppendGoals(*goals, &out);
  out.push_back('}');
  return Json(std::move(out));
}

HttpResponse EngagementApi::CreateGoal(const std::string& account_id, const HttpRequest& request) {
  absl::StatusOr<JsonValue> body = BodyObject(request);
  if (!body.ok()) return Error(400, ToStd(body.status().message()));
  const absl::Time now = clock_->Now();
  engagement::Goal goal;
  goal.account_id = account_id;
  goal.start = engagement::DayOf(now);
  const JsonValue* name = body->Find("name");
  if (name == nullptr || name->type() != JsonValue::Type::kString || name->str().empty() ||
      name->str().size() > kMaxGoalNameBytes || !IsValidUtf8(name->str())) {
    return Error(400, absl::StrCat("name must be 1-", kMaxGoalNameBytes, " bytes of UTF-8"));
  }
  goal.name = name->str();
  const JsonValue* milestone = body->Find("milestone_name");
  if (milestone == nullptr || milestone->type() != JsonValue::Type::kString ||
      !IsValidMilestoneName(milestone->str())) {
    return Error(400, "milestone_name must be 1-128 bytes of [A-Za-z0-9_.:-]");
  }
  goal.milestone_name = milestone->str();
  const JsonValue* target = body->Find("target_count");
  std::optional<int64_t> count = target ? target->AsInt() : std::nullopt;
  if (!count || *count <= 0 || *count > 1000000000) {
    return Error(400, "target_count must be an integer 1-1000000000");
  }
  goal.target_count = *count;
  if (const JsonValue* due = body->Find("due"); due && due->type() != JsonValue::Type::kNull) {
    std::optional<DayIndex> day;
    if (due->type() == JsonValue::Type::kString) day = ParseDate(due->str());
    if (!day) return Error(400, "due must be \"YYYY-MM-DD\" or null");
    if (*day < goal.start) return Error(400, "due must not be before today");
    goal.due = *day;
  }
  absl::StatusOr<StoredGoal> stored = EngagementStore(store_).CreateGoal(goal, now);
  if (!stored.ok()) {
    if (stored.status().code() == absl::StatusCode::kInvalidArgument) {
      return Error(400, ToStd(stored.status().message()));
    }
    return StoreFailure(stored.status());
  }
  absl::StatusOr<std::vector<GoalView>> goals = health_.Goals(account_id, now);
  if (!goals.ok()) return StoreFailure(goals.status());
  for (const GoalView& g : *goals) {
    if (g.goal.goal_id == stored->goal_id) {
      std::string out;
      AppendGoal(g, &out);
      return Json(std::move(out), 201);
    }
  }
  return StoreFailure(absl::InternalError("the new goal was not found"));
}

HttpResponse EngagementApi::DeleteGoal(const std::string& account_id, const std::string& goal_id) {
  absl::StatusOr<bool> deleted = EngagementStore(store_).DeleteGoal(account_id, goal_id);
  if (!deleted.ok()) return StoreFailure(deleted.status());
  if (!*deleted) return Error(404, "no such goal");
  return Json("{\"deleted\":true}");
}

HttpResponse EngagementApi::CustomerLinkFor(const std::string& account_id,
                                            const HttpRequest& request) {
  absl::StatusOr<JsonValue> body = BodyObject(request);
  if (!body.ok()) return Error(400, ToStd(body.status().message()));
  int64_t ttl_hours = 168;
  if (const JsonValue* ttl = body->Find("ttl_hours"); ttl && ttl->type() != JsonValue::Type::kNull) {
    std::optional<int64_t> hours = ttl->AsInt();
    if (!hours || *hours < 1 || *hours > 2160) {
      return Error(400, "ttl_hours must be an integer 1-2160");
    }
    ttl_hours = *hours;
  }
  if (link_key_.empty()) return Error(503, "no key to sign customer links");
  const absl::Time expires =
      absl::FromUnixSeconds(absl::ToUnixSeconds(clock_->Now() + absl::Hours(ttl_hours)));
  std::string token = SignCustomerLink(link_key_, account_id, expires);
  Log(LogLevel::kInfo, "customer_link_created",
      {{"account_id", account_id}, {"ttl_hours", std::to_string(ttl_hours)}});
  std::string out = "{\"account_id\":";
  AppendJsonString(account_id, &out);
  absl::StrAppend(&out, ",\"token\":\"", token, "\",\"expires_at\":\"", FormatRfc3339(expires),
                  "\",\"url\":\"/customer/#token=", token, "\"}");
  return Json(std::move(out));
}

HttpResponse EngagementApi::ListAlerts(const HttpRequest& request) {
  std::string state = request.QueryParam("state").value_or("all");
  if (state != "open" && state != "all") return Error(400, "state must be open or all");
  absl::StatusOr<std::vector<StoredAlert>> alerts =
      EngagementStore(store_).ListAlerts(state == "open", kMaxAlertsListed);
  if (!alerts.ok()) return StoreFailure(alerts.status());
  std::string out = "{\"alerts\":[";
  for (size_t i = 0; i < alerts->size(); ++i) {
    const StoredAlert& a = (*alerts)[i];
    if (i > 0) out.push_back(',');
    out.append("{\"alert_id\":");
    AppendJsonString(a.alert_id, &out);
    out.append(",\"account_id\":");
    AppendJsonString(a.account_id, &out);
    absl::StrAppend(&out, ",\"severity\":\"", ToAbsl(engagement::DropStateName(a.severity)),
                    "\",\"state\":\"", a.open ? "open" : "resolved", "\",\"opened_at\":\"",
                    FormatRfc3339(a.opened_at), "\",\"escalated_at\":");
    if (a.escalated_at) {
      absl::StrAppend(&out, "\"", FormatRfc3339(*a.escalated_at), "\"");
    } else {
      out.append("null");
    }
    out.append(",\"resolved_at\":");
    if (a.resolved_at) {
      absl::StrAppend(&out, "\"", FormatRfc3339(*a.resolved_at), "\"");
    } else {
      out.append("null");
    }
    absl::StrAppend(&out, ",\"this_week\":", a.this_week,
                    ",\"baseline_mean\":", Num(a.baseline_mean), ",\"ratio\":", Num(a.ratio),
                    ",\"delivery\":{\"state\":\"", ToAbsl(DeliveryStateName(a.delivery)),
                    "\",\"attempts\":", a.attempts, ",\"last_error\":");
    AppendJsonString(a.last_error, &out);
    out.append("}}");
  }
  out.append("]}");
  return Json(std::move(out));
}

HttpResponse EngagementApi::Evaluate() {
  if (evaluator_ == nullptr) return Error(503, "alerts are not configured");
  absl::StatusOr<AlertEvaluationCounts> counts = evaluator_->EvaluateAll();
  if (!counts.ok()) return StoreFailure(counts.status());
  if (on_evaluated_) on_evaluated_();
  return Json(absl::StrCat("{\"evaluated\":", counts->evaluated, ",\"opened\":", counts->opened,
                           ",\"escalated\":", counts->escalated, ",\"closed\":", counts->closed,
                           "}"));
}

HttpResponse EngagementApi::Renewals(const HttpRequest& request) {
  int64_t within = 30;
  if (std::optional<std::string> text = request.QueryParam("within_days")) {
    if (!absl::SimpleAtoi(*text, &within) || within < 1 || within > 366) {
      return Error(400, "within_days must be 1-366");
    }
  }
  const absl::Time now = clock_->Now();
  const DayIndex today = engagement::DayOf(now);
  absl::StatusOr<std::vector<AccountSettings>> settings =
      EngagementStore(store_).ListAccountSettings();
  if (!settings.ok()) return StoreFailure(settings.status());
  std::vector<const AccountSettings*> due;
  for (const AccountSettings& s : *settings) {
    if (s.renewal_date && *s.renewal_date >= today && *s.renewal_date <= today + within) {
      due.push_back(&s);
    }
  }
  std::sort(due.begin(), due.end(), [](const AccountSettings* a, const AccountSettings* b) {
    if (*a->renewal_date != *b->renewal_date) return *a->renewal_date < *b->renewal_date;
    return a->account_id < b->account_id;
  });
  std::string out = absl::StrCat("{\"as_of\":\"", FormatRfc3339(now), "\",\"renewals\":[");
  for (size_t i = 0; i < due.size(); ++i) {
    const AccountSettings& s = *due[i];
    absl::StatusOr<AccountView> view = health_.Compute(s.account_id, now);
    if (!view.ok()) return StoreFailure(view.status());
    // Same rule as /v1/renewal-notifications/recipients: live grants only,
    // never a suppressed (opted-out) or erased user.
    absl::StatusOr<RecipientsPage> recipients =
        store_->RenewalRecipients(s.account_id, "", kMaxRecipients, now);
    if (!recipients.ok()) return StoreFailure(recipients.status());
    if (i > 0) out.push_back(',');
    out.append("{\"account_id\":");
    AppendJsonString(s.account_id, &out);
    absl::StrAppend(&out, ",\"renewal_date\":\"", Date(*s.renewal_date),
                    "\",\"days_left\":", *s.renewal_date - today, ",\"health\":");
    AppendHealth(view->engagement.health, false, &out);
    out.append(",\"notification_recipients\":[");
    for (size_t r = 0; r < recipients->user_ids.size(); ++r) {
      if (r > 0) out.push_back(',');
      AppendJsonString(recipients->user_ids[r], &out);
    }
    absl::StrAppend(&out, "],\"recipients_truncated\":",
                    recipients->next_after.has_value() ? "true" : "false", "}");
  }
  out.append("]}");
  return Json(std::move(out));
}

HttpResponse EngagementApi::CustomerOverview(const HttpRequest& request) {
  std::optional<std::string_view> authorization = request.Header("authorization");
  constexpr std::string_view kScheme = "CustomerLink ";
  if (!authorization || authorization->size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(ToAbsl(authorization->substr(0, kScheme.size())), ToAbsl(kScheme))) {
    HttpResponse response = Error(401, "missing customer link");
    response.headers.emplace_back("WWW-Authenticate", "CustomerLink");
    return response;
  }
  const absl::Time now = clock_->Now();
  absl::StatusOr<CustomerLink> link =
      VerifyCustomerLink(link_key_, authorization->substr(kScheme.size()), now);
  if (!link.ok()) {
    if (link.status().code() == absl::StatusCode::kPermissionDenied) {
      return Error(403, "link expired");
    }
    HttpResponse response = Error(401, "invalid customer link");
    response.headers.emplace_back("WWW-Authenticate", "CustomerLink");
    return response;
  }
  // The account comes from the signed token only; no parameter can change it.
  const std::string& account_id = link->account_id;
  EngagementStore tables(store_);
  absl::StatusOr<std::vector<engagement::UserMilestoneDay>> rows =
      tables.ReadMilestoneDays(account_id);
  if (!rows.ok()) return StoreFailure(rows.status());
  absl::StatusOr<engagement::AccountInput> input = tables.ReadAccountInput(account_id, now);
  if (!input.ok()) return StoreFailure(input.status());
  absl::StatusOr<std::vector<GoalView>> goals = health_.Goals(account_id, now);
  if (!goals.ok()) return StoreFailure(goals.status());
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
  std::string out = "{\"account_id\":";
  AppendJsonString(account_id, &out);
  absl::StrAppend(&out, ",\"as_of\":\"", FormatRfc3339(now), "\",\"milestones\":[");
  for (size_t i = 0; i < ordered.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append("{\"name\":");
    AppendJsonString(ordered[i].first, &out);
    absl::StrAppend(&out, ",\"first_reached\":\"", FormatRfc3339(ordered[i].second),
                    "\",\"events\":", events[ordered[i].first], "}");
  }
  out.append("],\"goals\":");
  AppendGoals(*goals, &out);
  out.push_back('}');
  return Json(std::move(out));
}

}  // namespace cairn::collector
