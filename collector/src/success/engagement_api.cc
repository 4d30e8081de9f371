#include "success/engagement_api.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "auth/customer_link.h"
#include "cairn/admin/v1/accounts.pb.h"
#include "cairn/common/event_rules.h"
#include "cairn/common/strings.h"
#include "cairn/engagement/day.h"
#include "http/proto_json.h"
#include "http/route_table.h"
#include "ops/json_text.h"
#include "ops/log.h"
#include "store/engagement_store.h"
#include "success/account_settings_update.h"
#include "success/engagement_views.h"
#include "success/feedback.h"

namespace cairn::collector {
namespace {

using engagement::DayIndex;

constexpr size_t kMaxGoalNameBytes = 200;

// Route ids in the table; kNone is a path below "/v1/accounts/" that names
// no endpoint (still ours to answer 404, like the admin API's).
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
  kCustomer,
  kAccountGroups,
  kHistory,
  kUsers,
  kForecast,
  kOutcomes,
  kRetention,
  kBacktest,
  kFeedbackSummary,
  kAlertAcknowledge,
  kAlertSnooze,
  kHealthModel,
};

const RouteTable& EngagementRoutes() {
  static const RouteTable* const table = [] {
    auto* routes = new RouteTable;
    auto add = [routes](std::string_view pattern, std::string_view methods, Route route) {
      routes->Add(pattern, methods, static_cast<int>(route));
    };
    add("/v1/accounts", "GET", Route::kAccounts);
    add("/v1/alerts", "GET", Route::kAlerts);
    add("/v1/alerts/evaluate", "POST", Route::kEvaluate);
    add("/v1/alerts/{id}/acknowledge", "POST", Route::kAlertAcknowledge);
    add("/v1/alerts/{id}/snooze", "POST", Route::kAlertSnooze);
    add("/v1/renewals/upcoming", "GET", Route::kRenewals);
    add("/v1/renewals/forecast", "GET", Route::kForecast);
    add("/v1/account-groups", "GET", Route::kAccountGroups);
    add("/v1/retention", "GET", Route::kRetention);
    add("/v1/backtest", "GET", Route::kBacktest);
    add("/v1/customer/overview", "GET", Route::kCustomer);
    add("/v1/feedback/summary", "GET", Route::kFeedbackSummary);
    add("/v1/health-model", "GET, PUT, DELETE", Route::kHealthModel);
    add("/v1/accounts/{id}", "GET, PUT", Route::kAccount);
    add("/v1/accounts/{id}/goals", "GET, POST", Route::kGoals);
    add("/v1/accounts/{id}/customer-link", "POST", Route::kCustomerLink);
    add("/v1/accounts/{id}/goals/{goal_id}", "DELETE", Route::kGoal);
    add("/v1/accounts/{id}/history", "GET", Route::kHistory);
    add("/v1/accounts/{id}/users", "GET", Route::kUsers);
    add("/v1/accounts/{id}/outcomes", "GET, POST", Route::kOutcomes);
    // Together every path below "/v1/accounts/", an empty id segment included.
    add("/v1/accounts/{id}/**", "", Route::kNone);
    add("/v1/accounts//**", "", Route::kNone);
    return routes;
  }();
  return *table;
}

struct Target {
  Route route = Route::kNone;
  std::string_view methods;      // the Allow header's value; empty for kNone
  std::string_view raw_account;  // percent-encoded
  std::string_view raw_goal;
};

// The route of `path`; a path outside the table is kNone too.
Target ParseTarget(std::string_view path) {
  std::optional<RouteMatch> match = EngagementRoutes().Match(path);
  if (!match) return {};
  Target target{static_cast<Route>(match->id), match->methods, {}, {}};
  if (target.route == Route::kNone) return target;
  if (match->params.size() > 0) target.raw_account = match->params[0];
  if (match->params.size() > 1) target.raw_goal = match->params[1];
  return target;
}

const auto Error = EngagementError;
const auto StoreFailure = EngagementStoreFailure;

std::optional<std::string> DecodeId(std::string_view raw) {
  std::optional<std::string> id = PercentDecode(raw);
  if (!id || !IsValidId(*id)) return std::nullopt;
  return id;
}

}  // namespace

EngagementApi::EngagementApi(Store* store, Clock* clock, AlertEvaluator* evaluator,
                             std::string link_key, OnEvaluated on_evaluated,
                             HealthSnapshots* snapshots)
    : store_(store),
      clock_(clock),
      evaluator_(evaluator),
      link_key_(std::move(link_key)),
      on_evaluated_(std::move(on_evaluated)),
      health_(store),
      own_snapshots_(snapshots == nullptr ? std::make_unique<HealthSnapshots>(store) : nullptr),
      snapshots_(snapshots == nullptr ? *own_snapshots_ : *snapshots) {}

absl::StatusOr<std::vector<std::string>> EngagementApi::AccountsOfUser(std::string_view user_id) {
  return EngagementStore(store_).AccountsOfUser(user_id);
}

absl::Status EngagementApi::RefreshAccounts(std::span<const std::string> account_ids) {
  return snapshots_.RefreshAccounts(account_ids, clock_->Now());
}

bool EngagementApi::IsEngagementPath(std::string_view path) {
  return EngagementRoutes().Match(path).has_value();
}

bool EngagementApi::IsCustomerPath(std::string_view path) {
  return ParseTarget(path).route == Route::kCustomer;
}

std::string EngagementApi::AllowedMethods(std::string_view path) {
  return std::string(ParseTarget(path).methods);
}

HttpResponse EngagementApi::Handle(const HttpRequest& request, const KeyLabel& caller) {
  Target target = ParseTarget(request.Path());
  std::optional<std::string> account;
  if (!target.raw_account.empty()) {
    account = DecodeId(target.raw_account);
    if (!account) return Error(400, "account id must be 1-128 printable bytes, %-encoded");
  }
  const std::string& m = request.method;
  switch (target.route) {
    case Route::kAccounts:
      return ListAccounts(request);
    case Route::kAccount:
      return m == "PUT" ? PutAccount(*account, request) : GetAccount(*account);
    case Route::kGoals:
      return m == "POST" ? CreateGoal(*account, request) : ListGoals(*account);
    case Route::kGoal: {
      std::optional<std::string> goal = DecodeId(target.raw_goal);
      if (!goal) return Error(404, "no such goal");
      return DeleteGoal(*account, *goal);
    }
    case Route::kCustomerLink:
      return CustomerLinkFor(*account, request);
    case Route::kAlerts:
      return ListAlerts(request);
    case Route::kEvaluate:
      return Evaluate();
    case Route::kRenewals:
      return Renewals(request);
    case Route::kCustomer:
      return CustomerOverview(request);
    case Route::kAccountGroups:
      return AccountGroups(request);
    case Route::kHistory:
      return History(*account, request);
    case Route::kUsers:
      return AccountUsersList(*account, request);
    case Route::kForecast:
      return Forecast(request);
    case Route::kOutcomes:
      return m == "POST" ? RecordOutcome(*account, request) : ListOutcomes(*account);
    case Route::kRetention:
      return Retention(request);
    case Route::kBacktest:
      return Backtest(request);
    case Route::kFeedbackSummary:
      return FeedbackSummaryResponse(*store_, clock_->Now(), request);
    case Route::kAlertAcknowledge:
      return AcknowledgeAlert(*account);
    case Route::kAlertSnooze:
      return SnoozeAlert(*account, request);
    case Route::kHealthModel:
      if (m == "PUT") return PutHealthModel(request, caller);
      return m == "DELETE" ? ResetHealthModel() : GetHealthModel();
    case Route::kNone:
      break;
  }
  return Error(404, "not found");
}

HttpResponse EngagementApi::GetAccount(const std::string& account_id) {
  const absl::Time now = clock_->Now();
  absl::StatusOr<AccountView> view = health_.Compute(account_id, now);
  if (!view.ok()) return StoreFailure(view.status());
  if (!view->ShowsAnything()) {
    absl::StatusOr<std::vector<std::string>> ids = EngagementStore(store_).ListAccountIds();
    if (!ids.ok()) return StoreFailure(ids.status());
    if (!std::binary_search(ids->begin(), ids->end(), account_id)) {
      return Error(404, "no such account");
    }
  }
  absl::StatusOr<std::vector<GoalView>> goals = health_.Goals(account_id, now);
  if (!goals.ok()) return StoreFailure(goals.status());
  admin::v1::AccountDetail out;
  FillAccount(*view, &out);
  out.set_evaluated_at(FormatRfc3339(now));
  const engagement::MilestoneSummary& summary = view->engagement.milestones;
  std::vector<std::string> keys =
      view->settings ? view->settings->key_milestones : std::vector<std::string>{};
  for (const auto& [name, first] : view->milestones) {
    admin::v1::MilestoneReached* m = out.add_milestones();
    m->set_name(name);
    m->set_first_reached(FormatRfc3339(first));
    if (summary.account_first_login) {
      m->mutable_time_to_value_seconds()->set_number_value(static_cast<double>(
          std::max<int64_t>(0, absl::ToInt64Seconds(first - *summary.account_first_login))));
    } else {
      m->mutable_time_to_value_seconds()->set_null_value(google::protobuf::NULL_VALUE);
    }
    m->set_key(std::find(keys.begin(), keys.end(), name) != keys.end());
  }
  AddGoals(*goals, out.mutable_goals());
  absl::StatusOr<admin::v1::FeedbackScores> nps = AccountFeedbackMessage(*store_, account_id, now);
  if (!nps.ok()) return StoreFailure(nps.status());
  *out.mutable_nps() = *std::move(nps);
  return AdminJsonResponse(out);
}

HttpResponse EngagementApi::PutAccount(const std::string& account_id, const HttpRequest& request) {
  admin::v1::UpdateAccountRequest update;
  if (absl::Status s = ParseAdminBody(request.body, &update); !s.ok()) {
    return Error(400, ToStd(s.message()));
  }
  EngagementStore tables(store_);
  absl::StatusOr<std::optional<AccountSettings>> current = tables.GetAccountSettings(account_id);
  if (!current.ok()) return StoreFailure(current.status());
  AccountSettings settings = current->value_or(AccountSettings{});
  settings.account_id = account_id;
  if (absl::Status s = ApplyAccountUpdate(update, &settings); !s.ok()) {
    return Error(400, ToStd(s.message()));
  }
  if (absl::Status s = tables.PutAccountSettings(settings, clock_->Now()); !s.ok()) {
    return StoreFailure(s);
  }
  Log(LogLevel::kInfo, "account_settings_updated", {{"account", IdRef(account_id)}});
  // Seats and key milestones change the health; the lists show it at once.
  const std::string ids[] = {account_id};
  if (absl::Status s = snapshots_.RefreshAccounts(ids, clock_->Now()); !s.ok()) {
    return StoreFailure(s);
  }
  return AdminJsonResponse(AccountSettingsMessage(settings));
}

HttpResponse EngagementApi::ListGoals(const std::string& account_id) {
  absl::StatusOr<std::vector<GoalView>> goals = health_.Goals(account_id, clock_->Now());
  if (!goals.ok()) return StoreFailure(goals.status());
  admin::v1::GoalList out;
  AddGoals(*goals, out.mutable_goals());
  return AdminJsonResponse(out);
}

HttpResponse EngagementApi::CreateGoal(const std::string& account_id, const HttpRequest& request) {
  admin::v1::CreateGoalRequest body;
  if (absl::Status s = ParseAdminBody(request.body, &body); !s.ok()) {
    return Error(400, ToStd(s.message()));
  }
  const absl::Time now = clock_->Now();
  engagement::Goal goal;
  goal.account_id = account_id;
  goal.start = engagement::DayOf(now);
  if (body.name().empty() || body.name().size() > kMaxGoalNameBytes || !IsValidUtf8(body.name())) {
    return Error(400, absl::StrCat("name must be 1-", kMaxGoalNameBytes, " bytes of UTF-8"));
  }
  goal.name = body.name();
  if (!IsValidMilestoneName(body.milestone_name())) {
    return Error(400, "milestone_name must be 1-128 bytes of [A-Za-z0-9_.:-]");
  }
  goal.milestone_name = body.milestone_name();
  if (body.target_count() <= 0 || body.target_count() > 1000000000) {
    return Error(400, "target_count must be an integer 1-1000000000");
  }
  goal.target_count = body.target_count();
  if (body.has_due()) {
    std::optional<DayIndex> day = ParseDateText(body.due());
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
    if (g.goal.goal_id == stored->goal_id) return AdminJsonResponse(GoalMessage(g), 201);
  }
  return StoreFailure(absl::InternalError("the new goal was not found"));
}

HttpResponse EngagementApi::DeleteGoal(const std::string& account_id, const std::string& goal_id) {
  absl::StatusOr<bool> deleted = EngagementStore(store_).DeleteGoal(account_id, goal_id);
  if (!deleted.ok()) return StoreFailure(deleted.status());
  if (!*deleted) return Error(404, "no such goal");
  admin::v1::GoalDeleted out;
  out.set_deleted(true);
  return AdminJsonResponse(out);
}

HttpResponse EngagementApi::CustomerLinkFor(const std::string& account_id,
                                            const HttpRequest& request) {
  admin::v1::CustomerLinkRequest body;
  if (absl::Status s = ParseAdminBody(request.body, &body); !s.ok()) {
    return Error(400, ToStd(s.message()));
  }
  int64_t ttl_hours = 168;
  if (body.has_ttl_hours()) {
    if (body.ttl_hours() < 1 || body.ttl_hours() > 2160) {
      return Error(400, "ttl_hours must be an integer 1-2160");
    }
    ttl_hours = body.ttl_hours();
  }
  if (link_key_.empty()) return Error(503, "no key to sign customer links");
  const absl::Time expires =
      absl::FromUnixSeconds(absl::ToUnixSeconds(clock_->Now() + absl::Hours(ttl_hours)));
  std::string token = SignCustomerLink(link_key_, account_id, expires);
  Log(LogLevel::kInfo, "customer_link_created",
      {{"account", IdRef(account_id)}, {"ttl_hours", std::to_string(ttl_hours)}});
  admin::v1::CustomerLink out;
  out.set_account_id(account_id);
  out.set_token(token);
  out.set_expires_at(FormatRfc3339(expires));
  out.set_url(absl::StrCat("/customer/#token=", token));
  return AdminJsonResponse(out);
}

}  // namespace cairn::collector
