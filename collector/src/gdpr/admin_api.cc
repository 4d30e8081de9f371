#include "gdpr/admin_api.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cairn/admin/v1/gdpr.pb.h"
#include "cairn/common/crypto.h"
#include "cairn/common/event_rules.h"
#include "cairn/common/strings.h"
#include "cairn/consent/purpose.h"
#include "cairn/engagement/day.h"
#include "gdpr/admin_roles.h"
#include "http/proto_json.h"
#include "http/route_table.h"
#include "ops/json_text.h"
#include "ops/log.h"
#include "success/engagement_api.h"
#include "success/workflow_api.h"

namespace cairn::collector {
namespace {

constexpr uint64_t kMaxAdminBodyBytes = 64 << 10;

// Route ids in the admin table; kNone is a path under an admin prefix that
// names no endpoint (the admin API answers it 404, not the top level).
enum class Route {
  kNone,
  kExport,
  kErase,
  kRecipients,
  kPurge,
  kLiftSuppression,
  kAudit,
  kTokens,
  kWhoAmI
};

const RouteTable& AdminRoutes() {
  static const RouteTable* const table = [] {
    auto* routes = new RouteTable;
    routes->Add("/v1/users/{id}/export", "GET", static_cast<int>(Route::kExport));
    routes->Add("/v1/users/{id}", "DELETE", static_cast<int>(Route::kErase));
    routes->Add("/v1/renewal-notifications/recipients", "GET",
                static_cast<int>(Route::kRecipients));
    routes->Add("/v1/admin/purge", "POST", static_cast<int>(Route::kPurge));
    routes->Add("/v1/admin/audit", "GET", static_cast<int>(Route::kAudit));
    routes->Add("/v1/admin/tokens", "GET", static_cast<int>(Route::kTokens));
    routes->Add("/v1/whoami", "GET", static_cast<int>(Route::kWhoAmI));
    routes->Add("/v1/renewal-notifications/suppressions/{id}", "DELETE",
                static_cast<int>(Route::kLiftSuppression));
    // Together every path below "/v1/users/", an empty id segment included.
    routes->Add("/v1/users/{id}/**", "", static_cast<int>(Route::kNone));
    routes->Add("/v1/users//**", "", static_cast<int>(Route::kNone));
    return routes;
  }();
  return *table;
}

struct Target {
  Route route = Route::kNone;
  std::string_view methods;      // the Allow header's value
  std::string_view raw_user_id;  // still percent-encoded; a '/' in it arrives as %2F
};

// The admin route of `path`; a path outside the table is kNone too.
Target ParseTarget(std::string_view path) {
  std::optional<RouteMatch> match = AdminRoutes().Match(path);
  if (!match) return {};
  Target target{static_cast<Route>(match->id), match->methods, {}};
  if (!match->params.empty()) target.raw_user_id = match->params.front();
  return target;
}

std::string_view RouteName(Route route) {
  switch (route) {
    case Route::kExport:
      return "admin_export";
    case Route::kErase:
      return "admin_erase";
    case Route::kRecipients:
      return "admin_recipients";
    case Route::kLiftSuppression:
      return "admin_lift_suppression";
    case Route::kPurge:
      return "admin_purge";
    case Route::kAudit:
      return "admin_audit";
    case Route::kTokens:
      return "admin_tokens";
    case Route::kWhoAmI:
      return "admin_whoami";
    case Route::kNone:
      break;
  }
  return "admin";
}

// Logged without personal data: route, status, reason.
HttpResponse Reject(Route route, int status, std::string_view reason) {
  Log(status >= 500 ? LogLevel::kError : LogLevel::kWarning, "request_rejected",
      {{"route", std::string(RouteName(route))},
       {"status", std::to_string(status)},
       {"reason", std::string(reason)}});
  return TextResponse(status, reason);
}

// 405 with the Allow header when `methods` leaves out the request's method.
std::optional<HttpResponse> RefuseMethod(Route route, std::string_view methods,
                                         const HttpRequest& head) {
  RouteMatch allowed;
  allowed.methods = methods;
  if (allowed.Allows(head.method)) return std::nullopt;
  HttpResponse response = Reject(route, 405, "method not allowed");
  response.headers.emplace_back("Allow", std::string(methods));
  return response;
}

HttpResponse StoreFailure(Route route, const absl::Status& status) {
  Log(LogLevel::kError, "admin_store_failed",
      {{"route", std::string(RouteName(route))},
       {"code", absl::StatusCodeToString(status.code())}});
  HttpResponse response = TextResponse(503, "storage unavailable, retry later");
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

// The user id of a /v1/users/{id} path, decoded; nullopt if it is not 1-128
// printable bytes (the contract's id rule).
std::optional<std::string> DecodeUserId(std::string_view raw) {
  std::optional<std::string> id = PercentDecode(raw);
  if (!id || !IsValidId(*id)) return std::nullopt;
  return id;
}

admin::v1::ExportedConsentRecord ConsentRecordMessage(const StoredConsentRecord& stored) {
  const consent::ConsentRecord& r = stored.record;
  admin::v1::ExportedConsentRecord out;
  out.set_event_id(stored.event_id);
  out.set_account_id(stored.account_id);
  out.set_purpose(std::string(consent::PurposeName(r.purpose)));
  out.set_decision(std::string(consent::DecisionName(r.decision)));
  out.set_policy_id(r.policy_id);
  out.set_policy_version(r.policy_version);
  out.set_device_time(FormatRfc3339(r.device_time));
  if (r.collector_time) out.set_collector_time(FormatRfc3339(*r.collector_time));
  out.set_sdk_version(r.source_sdk_version);
  out.set_source_surface(r.source_surface);
  if (r.expires_at) out.set_expires_at(FormatRfc3339(*r.expires_at));
  return out;
}

std::string DayText(int64_t day) {
  return absl::FormatTime("%Y-%m-%d", engagement::StartOfDay(day), absl::UTCTimeZone());
}

// The sections of `data` after events and consent records, named after
// their tables (store/user_data.h).
void AddUserData(const UserExport& data, admin::v1::UserExport* out) {
  for (const StoredConsentState& state : data.consent_state) {
    admin::v1::ExportedConsentState* s = out->add_consent_state();
    s->set_account_id(state.account_id);
    s->set_purpose(std::string(consent::PurposeName(state.purpose)));
    s->set_decision(std::string(consent::DecisionName(state.decision)));
    s->set_policy_id(state.policy_id);
    s->set_policy_version(state.policy_version);
    s->set_decided_at(FormatRfc3339(state.decided_at));
    if (state.expires_at) s->set_expires_at(FormatRfc3339(*state.expires_at));
    s->set_updated_at(FormatRfc3339(state.updated_at));
  }
  for (const UserExport::Suppression& entry : data.suppressions) {
    admin::v1::ExportedSuppression* s = out->add_renewal_suppression();
    s->set_account_id(entry.account_id);
    s->set_since(FormatRfc3339(entry.since));
  }
  if (data.erased_at) out->add_erased_users()->set_erased_at(FormatRfc3339(*data.erased_at));
  for (const StoredBatchOfUser& batch : data.batches) {
    admin::v1::ExportedBatch* b = out->add_batches();
    b->set_batch_id(batch.batch_id);
    b->set_install_id(batch.install_id);
    if (batch.sent_at) b->set_sent_at(FormatRfc3339(*batch.sent_at));
    b->set_received_at(FormatRfc3339(batch.received_at));
    if (batch.client_ip) b->set_client_ip(*batch.client_ip);
    if (batch.user_agent) b->set_user_agent(*batch.user_agent);
  }
  for (const UserLoginDayRow& row : data.user_day) {
    admin::v1::ExportedLoginDay* d = out->add_user_day();
    d->set_account_id(row.account_id);
    d->set_day(DayText(row.day));
    d->set_logins(static_cast<uint32_t>(row.logins));
  }
  for (const UserFirstLoginRow& row : data.user_first_login) {
    admin::v1::ExportedFirstLogin* f = out->add_user_first_login();
    f->set_account_id(row.account_id);
    f->set_first_login(FormatRfc3339(row.first_login));
  }
  for (const UserMilestoneRow& row : data.user_milestone) {
    admin::v1::ExportedMilestone* m = out->add_user_milestone();
    m->set_account_id(row.account_id);
    m->set_name(row.name);
    m->set_first_reached(FormatRfc3339(row.first_reached));
  }
  for (const UserMilestoneDayRow& row : data.user_milestone_day) {
    admin::v1::ExportedMilestoneDay* d = out->add_user_milestone_day();
    d->set_account_id(row.account_id);
    d->set_name(row.name);
    d->set_day(DayText(row.day));
    d->set_events(static_cast<uint32_t>(row.events));
    d->set_value_sum(row.value_sum);
  }
  for (const UserFeedbackDayRow& row : data.user_feedback_day) {
    admin::v1::ExportedFeedbackDay* f = out->add_user_feedback_day();
    f->set_account_id(row.account_id);
    f->set_kind(row.kind == cairn::v1::FEEDBACK_KIND_NPS ? "nps" : "csat");
    f->set_day(DayText(row.day));
    f->set_score(static_cast<int32_t>(row.score));
    f->set_answered_at(FormatRfc3339(row.answered_at));
  }
}

}  // namespace

AdminApi::AdminApi(const WriteKeySet* admin_tokens, Store* store, Clock* clock,
                   const AdminApiOptions& options)
    : admin_tokens_(admin_tokens),
      store_(store),
      clock_(clock),
      options_(options),
      worker_(options.queue_capacity),
      readers_(options.queue_capacity, options.admin_readers),
      customer_worker_(options.customer_queue_capacity),
      customer_limits_(options.customer_rate_limit) {}

AdminApi::~AdminApi() { Stop(); }

void AdminApi::Stop() {
  worker_.Stop();
  readers_.Stop();
  customer_worker_.Stop();
}

bool AdminApi::IsAdminPath(std::string_view path) {
  return AdminRoutes().Match(path).has_value() || EngagementApi::IsEngagementPath(path) ||
         WorkflowApi::IsWorkflowPath(path);
}

std::optional<HttpResponse> AdminApi::CheckHeadAs(const HttpRequest& head,
                                                  std::optional<KeyLabel>* caller) const {
  const std::string_view path = head.Path();
  // The route's allowed methods, from whichever API serves the path; the
  // workflow paths first, as the engagement table owns all of /v1/accounts/.
  Route route = Route::kNone;
  std::string allowed;
  bool served = true;
  bool customer = false;
  if (WorkflowApi::IsWorkflowPath(path)) {
    allowed = WorkflowApi::AllowedMethods(path);
    served = workflow_ != nullptr;
  } else if (EngagementApi::IsEngagementPath(path)) {
    allowed = EngagementApi::AllowedMethods(path);
    served = engagement_ != nullptr;
    customer = EngagementApi::IsCustomerPath(path);
  } else {
    Target target = ParseTarget(path);
    route = target.route;
    allowed = std::string(target.methods);
  }
  // Off, the API does not exist as far as clients can tell.
  if (admin_tokens_ == nullptr || !served || allowed.empty()) {
    return Reject(route, 404, "not found");
  }
  if (std::optional<HttpResponse> refused = RefuseMethod(route, allowed, head)) {
    return refused;
  }
  // The customer view takes a signed customer link (checked by the
  // handler), never the admin token.
  if (!customer) {
    std::optional<std::string_view> authorization = head.Header("authorization");
    std::optional<KeyLabel> who =
        authorization ? admin_tokens_->IdentifyAuthorization(*authorization) : std::nullopt;
    if (!who) {
      HttpResponse response = Reject(route, 401, "missing or wrong admin token");
      response.headers.emplace_back("WWW-Authenticate", "Bearer");
      return response;
    }
    if (caller != nullptr) *caller = who;
    const RouteAccess access = AccessFor(head.method, path);
    if (!RoleAllows(who->role, access.role)) {
      return Reject(route, 403, ForbiddenText(who->role, head.method, access));
    }
  }
  if (head.content_length && *head.content_length > kMaxAdminBodyBytes) {
    return Reject(route, 413, "body is over the size limit");
  }
  return std::nullopt;
}

void AdminApi::Handle(HttpRequest request, Respond respond) {
  std::optional<KeyLabel> caller;
  if (std::optional<HttpResponse> refused = CheckHeadAs(request, &caller)) {
    if (refused->status == 403 && caller) {
      // A refused change is worth its audit row too; written on the worker
      // (dropped, like any request, if its queue is full).
      const int status = refused->status;
      auto audited = std::make_shared<HttpRequest>(request);
      (void)worker_.TrySubmit(
          [this, audited, who = *caller, status] { Audit(*audited, who, status); });
    }
    std::move(respond)(*std::move(refused));
    return;
  }
  if (request.body.size() > kMaxAdminBodyBytes) {
    std::move(respond)(
        Reject(ParseTarget(request.Path()).route, 413, "body is over the size limit"));
    return;
  }
  const bool customer = EngagementApi::IsCustomerPath(request.Path());
  if (customer) {
    // Keyed by the whole header: requests without one share a bucket (and
    // get 401 from the customer view).
    Digest256 link = Sha256(request.Header("authorization").value_or(""));
    if (std::optional<absl::Duration> wait = customer_limits_.Acquire(link, clock_->Now())) {
      HttpResponse limited = TextResponse(429, "rate limit of this customer link exceeded");
      limited.headers.emplace_back(
          "Retry-After", std::to_string(std::max<int64_t>(
                             1, absl::ToInt64Seconds(absl::Ceil(*wait, absl::Seconds(1))))));
      std::move(respond)(std::move(limited));
      return;
    }
  }
  // Kept outside the task so a refused submission can still answer.
  auto pending = std::make_shared<Respond>(std::move(respond));
  auto shared_request = std::make_shared<HttpRequest>(std::move(request));
  // Reads run side by side on the readers; writes one at a time, in order.
  TaskQueue& queue = customer                          ? customer_worker_
                     : shared_request->method == "GET" ? readers_
                                                       : worker_;
  bool queued = queue.TrySubmit([this, pending, shared_request, caller]() mutable {
    HttpResponse response = Run(*shared_request, caller.value_or(KeyLabel{}));
    if (caller) Audit(*shared_request, *caller, response.status);
    std::move (*pending)(std::move(response));
  });
  if (!queued) {
    HttpResponse busy =
        Reject(ParseTarget(shared_request->Path()).route, 503, "admin worker busy, retry later");
    busy.headers.emplace_back("Retry-After", "1");
    std::move (*pending)(std::move(busy));
  }
}

HttpResponse AdminApi::Run(const HttpRequest& request, const KeyLabel& caller) {
  if (WorkflowApi::IsWorkflowPath(request.Path())) return workflow_->Handle(request, caller);
  if (EngagementApi::IsEngagementPath(request.Path())) return engagement_->Handle(request, caller);
  Target target = ParseTarget(request.Path());
  switch (target.route) {
    case Route::kExport:
    case Route::kErase: {
      std::optional<std::string> user_id = DecodeUserId(target.raw_user_id);
      if (!user_id) {
        return Reject(target.route, 400, "user id must be 1-128 printable bytes, %-encoded");
      }
      return target.route == Route::kExport ? Export(*user_id) : Erase(*user_id);
    }
    case Route::kRecipients:
      return Recipients(request);
    case Route::kLiftSuppression: {
      std::optional<std::string> user_id = DecodeUserId(target.raw_user_id);
      if (!user_id) {
        return Reject(target.route, 400, "user id must be 1-128 printable bytes, %-encoded");
      }
      return LiftSuppression(request, *user_id);
    }
    case Route::kPurge:
      return Purge();
    case Route::kAudit:
      return ListAudit(request);
    case Route::kTokens:
      return ListTokens();
    case Route::kWhoAmI:
      return WhoAmI(caller);
    case Route::kNone:
      break;
  }
  return Reject(Route::kNone, 404, "not found");
}

HttpResponse AdminApi::Export(std::string_view user_id) {
  absl::StatusOr<UserExport> data = store_->ExportUser(user_id, options_.max_export_events);
  if (!data.ok()) return StoreFailure(Route::kExport, data.status());
  admin::v1::UserExport out;
  out.set_user_id(std::string(user_id));
  out.set_truncated(data->truncated);
  for (const StoredEvent& stored : data->events) {
    admin::v1::ExportedEvent* event = out.add_events();
    event->set_received_at(FormatRfc3339(stored.received_at));
    *event->mutable_event() = stored.event;
  }
  for (const StoredConsentRecord& record : data->consent_records) {
    *out.add_consent_records() = ConsentRecordMessage(record);
  }
  AddUserData(*data, &out);
  Log(LogLevel::kInfo, "user_exported",
      {{"events", std::to_string(data->events.size())},
       {"consent_records", std::to_string(data->consent_records.size())}});
  return AdminJsonResponse(out);
}

HttpResponse AdminApi::Erase(std::string_view user_id) {
  // The user's accounts, read first: their snapshots are refreshed after.
  std::vector<std::string> accounts;
  if (engagement_ != nullptr) {
    absl::StatusOr<std::vector<std::string>> found = engagement_->AccountsOfUser(user_id);
    if (!found.ok()) return StoreFailure(Route::kErase, found.status());
    accounts = *std::move(found);
  }
  absl::StatusOr<ErasureResult> result = store_->EraseUser(user_id, clock_->Now());
  if (!result.ok()) return StoreFailure(Route::kErase, result.status());
  if (engagement_ != nullptr) {
    if (absl::Status s = engagement_->RefreshAccounts(accounts); !s.ok()) {
      Log(LogLevel::kError, "snapshot_refresh_failed",
          {{"code", absl::StatusCodeToString(s.code())}});
    }
  }
  // The log keeps the counts as an audit trail, never the id.
  Log(LogLevel::kInfo, "user_erased",
      {{"events_deleted", std::to_string(result->events_deleted)},
       {"already_erased", result->already_erased ? "true" : "false"}});
  admin::v1::ErasureResult out;
  out.set_user_id(std::string(user_id));
  out.set_events_deleted(static_cast<uint32_t>(result->events_deleted));
  out.set_consent_states_deleted(static_cast<uint32_t>(result->consent_states_deleted));
  out.set_consent_records_pseudonymised(
      static_cast<uint32_t>(result->consent_records_pseudonymised));
  out.set_already_erased(result->already_erased);
  return AdminJsonResponse(out);
}

HttpResponse AdminApi::Recipients(const HttpRequest& request) {
  std::optional<std::string> account_id = request.QueryParam("account_id");
  if (!account_id || !IsValidId(*account_id)) {
    return Reject(Route::kRecipients, 400, "account_id must be 1-128 printable bytes");
  }
  std::string after = request.QueryParam("after").value_or("");
  if (after.size() > kMaxIdBytes) {
    return Reject(Route::kRecipients, 400, "after must be a user id");
  }
  size_t limit = options_.max_recipients_page;
  if (std::optional<std::string> text = request.QueryParam("limit")) {
    uint64_t parsed = 0;
    if (!absl::SimpleAtoi(*text, &parsed) || parsed == 0 || parsed > limit) {
      return Reject(Route::kRecipients, 400,
                    absl::StrCat("limit must be 1-", options_.max_recipients_page));
    }
    limit = static_cast<size_t>(parsed);
  }
  absl::StatusOr<RecipientsPage> page =
      store_->RenewalRecipients(*account_id, after, limit, clock_->Now());
  if (!page.ok()) return StoreFailure(Route::kRecipients, page.status());
  admin::v1::RecipientsPage out;
  out.set_account_id(*account_id);
  for (const std::string& user : page->user_ids) out.add_recipients(user);
  if (page->next_after) out.set_next_after(*page->next_after);
  return AdminJsonResponse(out);
}

HttpResponse AdminApi::LiftSuppression(const HttpRequest& request, std::string_view user_id) {
  std::optional<std::string> account_id = request.QueryParam("account_id");
  if (!account_id || !IsValidId(*account_id)) {
    return Reject(Route::kLiftSuppression, 400, "account_id must be 1-128 printable bytes");
  }
  absl::StatusOr<int64_t> lifted = store_->LiftRenewalSuppression(*account_id, user_id);
  if (!lifted.ok()) return StoreFailure(Route::kLiftSuppression, lifted.status());
  // An audit line with the count, never the ids.
  Log(LogLevel::kInfo, "renewal_suppression_lifted", {{"entries", std::to_string(*lifted)}});
  admin::v1::SuppressionLifted out;
  out.set_account_id(*account_id);
  out.set_entries_lifted(static_cast<uint32_t>(*lifted));
  return AdminJsonResponse(out);
}

HttpResponse AdminApi::Purge() {
  absl::Time now = clock_->Now();
  absl::StatusOr<RetentionResult> deleted = PurgeExpired(*store_, now, options_.retention);
  if (!deleted.ok()) return StoreFailure(Route::kPurge, deleted.status());
  LogRetention(deleted);
  int64_t days = absl::ToInt64Hours(options_.retention.keep) / 24;
  admin::v1::PurgeResult out;
  out.set_retention_days(static_cast<int32_t>(days));
  out.set_events_deleted(static_cast<uint32_t>(deleted->events_deleted));
  out.set_aggregate_rows_deleted(static_cast<uint32_t>(deleted->aggregates.rows_deleted));
  out.set_batches_deleted(static_cast<uint32_t>(deleted->aggregates.batches_deleted));
  out.set_audit_rows_deleted(static_cast<uint32_t>(deleted->audit_rows_deleted));
  if (days > 0) out.set_cutoff(FormatRfc3339(now - options_.retention.keep));
  return AdminJsonResponse(out);
}

}  // namespace cairn::collector
