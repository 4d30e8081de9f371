#ifndef CAIRN_COLLECTOR_SUCCESS_ENGAGEMENT_API_H_
#define CAIRN_COLLECTOR_SUCCESS_ENGAGEMENT_API_H_

#include <string>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "cairn/common/clock.h"
#include "http/http_types.h"
#include "store/store.h"
#include "success/account_health.h"
#include "success/alert_evaluator.h"

namespace cairn::collector {

// The customer-success endpoints (docs/collector.md; request and answer
// messages in proto/cairn/admin/v1), served through AdminApi (same worker,
// token checks, 404 when the admin API is off):
//
//   GET    /v1/accounts[?limit=N&page_token=T]         riskiest first
//   GET|PUT /v1/accounts/{id}                         view / settings
//   GET|POST /v1/accounts/{id}/goals                  list / create
//   DELETE /v1/accounts/{id}/goals/{goal_id}
//   POST   /v1/accounts/{id}/customer-link            signed customer link
//   GET    /v1/alerts[?state=open|all]
//   POST   /v1/alerts/evaluate
//   POST   /v1/alerts/{id}/acknowledge
//   POST   /v1/alerts/{id}/snooze                      {"days": N} or {"until": RFC3339}
//   GET    /v1/renewals/upcoming[?within_days=N]
//   GET    /v1/customer/overview                      Authorization: CustomerLink <token>
//
// Thread-safe; handlers run on the admin worker thread.
class EngagementApi {
 public:
  // Called after an on-demand evaluation (e.g. AlertScheduler::Wake).
  using OnEvaluated = absl::AnyInvocable<void()>;

  // `link_key` signs customer links (the store's keyed-hash key). Pointers
  // must outlive the API.
  EngagementApi(Store* store, Clock* clock, AlertEvaluator* evaluator, std::string link_key,
                OnEvaluated on_evaluated = nullptr);

  // True for the paths this API serves. Free.
  static bool IsEngagementPath(std::string_view path);
  // True for the path that takes a customer link instead of the admin token.
  static bool IsCustomerPath(std::string_view path);
  // The methods `path` accepts ("GET", "GET, PUT", ...); empty if no route.
  static std::string AllowedMethods(std::string_view path);

  // Handles a complete request whose method, token (or for the customer
  // path, nothing yet) and size were checked. Cost: the store reads of the
  // route; listing accounts computes all of them. Errors are text 4xx/503;
  // a body with an unknown field or a value of the wrong type is a 400
  // that names the field.
  HttpResponse Handle(const HttpRequest& request);

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
  HttpResponse CustomerOverview(const HttpRequest& request);

  Store* const store_;
  Clock* const clock_;
  AlertEvaluator* const evaluator_;
  const std::string link_key_;
  OnEvaluated on_evaluated_;
  AccountHealth health_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_SUCCESS_ENGAGEMENT_API_H_
