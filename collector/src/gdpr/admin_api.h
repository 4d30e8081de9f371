#ifndef CAIRN_COLLECTOR_GDPR_ADMIN_API_H_
#define CAIRN_COLLECTOR_GDPR_ADMIN_API_H_

#include <cstddef>
#include <optional>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "auth/admin_role.h"
#include "auth/rate_limiter.h"
#include "auth/write_key_set.h"
#include "cairn/common/clock.h"
#include "http/http_types.h"
#include "http/task_queue.h"
#include "store/retention_purger.h"
#include "store/store.h"

namespace cairn::collector {

class EngagementApi;
class WorkflowApi;

struct AdminApiOptions {
  // Most events (and, separately, consent records) in one export; beyond it
  // the export says "truncated": true.
  size_t max_export_events = 100000;
  // Largest and default page of renewal recipients.
  size_t max_recipients_page = 1000;
  // Admin requests waiting for the admin worker (and, separately, for the
  // readers); beyond it: 503.
  size_t queue_capacity = 32;
  // Threads serving admin GET requests side by side (the dashboard loads
  // several lists at once); writes keep one worker of their own, so they
  // stay serialised and in order.
  size_t admin_readers = 4;
  // Customer-view requests (GET /v1/customer/overview) run on a worker and
  // queue of their own, so a customer link, which the vendor hands out,
  // can never crowd out the operator: beyond this many waiting, 503.
  size_t customer_queue_capacity = 16;
  // Each customer link's own token bucket on the customer view (429 with
  // Retry-After above it), keyed by the link's SHA-256.
  RateLimitOptions customer_rate_limit = {.requests_per_second = 5, .burst = 20, .max_keys = 10000};
  // What POST /v1/admin/purge deletes.
  RetentionOptions retention;
};

// The operator's API, behind the admin token (never the write key):
//
//   GET    /v1/users/{id}/export                       Art. 15/20 export, JSON
//   DELETE /v1/users/{id}                              Art. 17 erasure, JSON counts
//   GET    /v1/renewal-notifications/recipients?account_id=A[&after=U][&limit=N]
//   POST   /v1/admin/purge                             retention purge now
//   GET    /v1/admin/audit[?actor=&since=&limit=&page_token=]  the audit log
//   GET    /v1/admin/tokens                            names, roles, fingerprints
//   GET    /v1/whoami                                  the caller's name and role
//   /v1/accounts..., /v1/alerts..., /v1/renewals/upcoming, /v1/customer/overview
//                                                      see EngagementApi
//   /v1/accounts/{id}/tasks|notes|workflow, /v1/tasks  see WorkflowApi
//
// Each token has a name and a role (auth/admin_role.h); the role each route
// needs is in gdpr/admin_roles.cc, and a token whose role falls short gets
// 403. Every request but a GET (and every GDPR export) is written to the
// audit log with the token's name, the route's pattern and the status.
//
// Store work is slow next to network I/O, so requests run off the network
// threads: reads (GET) on a pool of admin_readers threads, writes one at a
// time on a worker of their own; the customer view has a third worker,
// queue and per-link rate limit of its own. Responses are JSON; errors are text like the rest of
// the API. Thread-safe.
class AdminApi {
 public:
  using Respond = absl::AnyInvocable<void(HttpResponse) &&>;

  // `admin_tokens` null: the admin API is off and its paths answer 404.
  // Pointers must outlive the API.
  AdminApi(const WriteKeySet* admin_tokens, Store* store, Clock* clock,
           const AdminApiOptions& options);
  // Stops the worker (see Stop).
  ~AdminApi();

  // Serves the customer-success endpoints (engagement_api.h) through this
  // API's worker and token checks; null (the default): they answer 404.
  // Call before serving requests; `api` must outlive this API.
  void SetEngagementApi(EngagementApi* api) { engagement_ = api; }
  // The same for the tasks and notes endpoints (workflow_api.h).
  void SetWorkflowApi(WorkflowApi* api) { workflow_ = api; }

  // True for the paths this API serves (whatever the method or token).
  // Cost: a walk of its route tables.
  static bool IsAdminPath(std::string_view path);

  // Route, method, token and role checks from the header alone: 404 (API
  // off or unknown path), 405, 401 with WWW-Authenticate, 403 naming the
  // role the route needs, 413 for a body over 64 KiB. nullopt to go on.
  // Cost: one SHA-256.
  std::optional<HttpResponse> CheckHead(const HttpRequest& head) const {
    return CheckHeadAs(head, nullptr);
  }

  // Handles a complete request on the worker thread; `respond` is called
  // exactly once, from there (or at once on refusal, 503 if the queue is
  // full).
  void Handle(HttpRequest request, Respond respond);

  // Refuses new requests, answers the queued ones, joins the worker.
  void Stop();

 private:
  // CheckHead that also tells who presented the token (`caller`, may be
  // null; set once the token is known, so also on a 403).
  std::optional<HttpResponse> CheckHeadAs(const HttpRequest& head,
                                          std::optional<KeyLabel>* caller) const;
  HttpResponse Run(const HttpRequest& request, const KeyLabel& caller);
  // Writes the audit row of a request that needs one (admin_roles.h);
  // a failed write is logged, never fails the request. On the worker.
  void Audit(const HttpRequest& request, const KeyLabel& caller, int status);
  HttpResponse ListAudit(const HttpRequest& request);
  HttpResponse ListTokens();
  // GET /v1/whoami: the caller's name and role (any role may ask), so a
  // client can offer only what the role allows. Free.
  HttpResponse WhoAmI(const KeyLabel& caller);
  HttpResponse Export(std::string_view user_id);
  HttpResponse Erase(std::string_view user_id);
  HttpResponse Recipients(const HttpRequest& request);
  // DELETE /v1/renewal-notifications/suppressions/{id}?account_id=A: the
  // operator lifts the user's renewal opt-out in that account (the user
  // re-granted through a channel the vendor verified).
  HttpResponse LiftSuppression(const HttpRequest& request, std::string_view user_id);
  HttpResponse Purge();

  const WriteKeySet* const admin_tokens_;
  Store* const store_;
  Clock* const clock_;
  const AdminApiOptions options_;
  EngagementApi* engagement_ = nullptr;
  WorkflowApi* workflow_ = nullptr;
  TaskQueue worker_;
  TaskQueue readers_;
  TaskQueue customer_worker_;
  RateLimiter customer_limits_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_GDPR_ADMIN_API_H_
