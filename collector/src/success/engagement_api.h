#ifndef CAIRN_COLLECTOR_SUCCESS_ENGAGEMENT_API_H_
#define CAIRN_COLLECTOR_SUCCESS_ENGAGEMENT_API_H_

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "auth/admin_role.h"
#include "cairn/common/clock.h"
#include "http/http_types.h"
#include "store/health_model_store.h"
#include "store/store.h"
#include "success/account_health.h"
#include "success/alert_evaluator.h"
#include "success/health_snapshots.h"

namespace cairn::collector {

// The customer-success endpoints (docs/collector.md; request and answer
// messages in proto/cairn/admin/v1), served through AdminApi (same worker,
// token checks, 404 when the admin API is off):
//
//   GET
//   /v1/accounts[?limit=N&page_token=T&sort=S&band=&owner=&plan=&segment=&q=&alert=open&format=csv]
//                                                     from the snapshots, riskiest first
//   GET    /v1/account-groups?group_by=owner|plan|segment|band[&filters][&format=csv]
//   GET    /v1/accounts/{id}/history[?days=N]           daily health
//   GET    /v1/accounts/{id}/users[?days=N&limit=&page_token=]  per-user logins,
//                                                     champion, single-user dependence
//   GET|PUT /v1/accounts/{id}                         view / settings
//   GET|POST /v1/accounts/{id}/goals                  list / create
//   DELETE /v1/accounts/{id}/goals/{goal_id}
//   POST   /v1/accounts/{id}/customer-link            signed customer link
//   GET    /v1/alerts[?state=open|all]
//   POST   /v1/alerts/evaluate
//   POST   /v1/alerts/{id}/acknowledge
//   POST   /v1/alerts/{id}/snooze                      {"days": N} or {"until": RFC3339}
//   GET    /v1/renewals/upcoming[?within_days=N&limit=&page_token=&filters&format=csv]
//   GET    /v1/renewals/forecast[?months=N&filters]     ARR renewing by month and band
//   GET|POST /v1/accounts/{id}/outcomes                 renewal outcomes
//   GET    /v1/retention[?months=N]                     gross/net retention, churn
//   GET    /v1/backtest[?days_before=N&months=M]        health before renewal vs outcome
//   GET    /v1/customer/overview                      Authorization: CustomerLink <token>
//   GET    /v1/feedback/summary[?days=N]              NPS and CSAT (success/feedback.h)
//   GET|PUT|DELETE /v1/health-model                   the vendor's health model
//
// Thread-safe; handlers run on the admin worker thread.
class EngagementApi {
 public:
  // Called after an on-demand evaluation (e.g. AlertScheduler::Wake).
  using OnEvaluated = absl::AnyInvocable<void()>;

  // `link_key` signs customer links (the store's keyed-hash key). Pointers
  // must outlive the API. `snapshots` (null: one of its own) is refreshed by
  // POST /v1/alerts/evaluate and for the accounts a write touches.
  EngagementApi(Store* store, Clock* clock, AlertEvaluator* evaluator, std::string link_key,
                OnEvaluated on_evaluated = nullptr, HealthSnapshots* snapshots = nullptr);

  // True for the paths this API serves. Free.
  static bool IsEngagementPath(std::string_view path);
  // True for the path that takes a customer link instead of the admin token.
  static bool IsCustomerPath(std::string_view path);
  // The methods `path` accepts ("GET", "GET, PUT", ...); empty if no route.
  static std::string AllowedMethods(std::string_view path);

  // The accounts whose snapshots hold figures of `user_id` (read before an
  // erasure), and their refresh after it, so no list keeps counting an
  // erased user. Cost: two indexed reads; Compute per account. Fail with
  // the store's error (the erasure itself stands; the next evaluation
  // refreshes).
  absl::StatusOr<std::vector<std::string>> AccountsOfUser(std::string_view user_id);
  absl::Status RefreshAccounts(std::span<const std::string> account_ids);

  // Handles a complete request whose method, token (or for the customer
  // path, nothing yet) and size were checked. Cost: the store reads of the
  // route; listing accounts computes all of them. Errors are text 4xx/503;
  // a body with an unknown field or a value of the wrong type is a 400
  // that names the field. `caller` is recorded as who changed the health
  // model.
  HttpResponse Handle(const HttpRequest& request, const KeyLabel& caller = KeyLabel{});

 private:
  HttpResponse ListAccounts(const HttpRequest& request);
  HttpResponse GetAccount(const std::string& account_id);
  HttpResponse PutAccount(const std::string& account_id, const HttpRequest& request);
  HttpResponse ListGoals(const std::string& account_id);
  HttpResponse CreateGoal(const std::string& account_id, const HttpRequest& request);
  HttpResponse DeleteGoal(const std::string& account_id, const std::string& goal_id);
  HttpResponse CustomerLinkFor(const std::string& account_id, const HttpRequest& request);
  HttpResponse ListAlerts(const HttpRequest& request);
  HttpResponse Evaluate();
  // POST /v1/alerts/{id}/acknowledge and /snooze (engagement_api_alerts.cc).
  HttpResponse AcknowledgeAlert(const std::string& alert_id);
  HttpResponse SnoozeAlert(const std::string& alert_id, const HttpRequest& request);
  HttpResponse Renewals(const HttpRequest& request);
  HttpResponse Forecast(const HttpRequest& request);
  HttpResponse AccountGroups(const HttpRequest& request);
  HttpResponse History(const std::string& account_id, const HttpRequest& request);
  // GET /v1/accounts/{id}/users (account_users_api.cc).
  HttpResponse AccountUsersList(const std::string& account_id, const HttpRequest& request);
  HttpResponse RecordOutcome(const std::string& account_id, const HttpRequest& request);
  HttpResponse ListOutcomes(const std::string& account_id);
  HttpResponse Retention(const HttpRequest& request);
  HttpResponse Backtest(const HttpRequest& request);
  HttpResponse CustomerOverview(const HttpRequest& request);
  HttpResponse GetHealthModel();
  HttpResponse PutHealthModel(const HttpRequest& request, const KeyLabel& caller);
  HttpResponse ResetHealthModel();
  HttpResponse RescoredModel(const StoredHealthModel& applied);

  Store* const store_;
  Clock* const clock_;
  AlertEvaluator* const evaluator_;
  const std::string link_key_;
  OnEvaluated on_evaluated_;
  AccountHealth health_;
  std::unique_ptr<HealthSnapshots> own_snapshots_;
  HealthSnapshots& snapshots_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_SUCCESS_ENGAGEMENT_API_H_
