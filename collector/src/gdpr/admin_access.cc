// The access part of AdminApi: the audit log (written per request, read
// through GET /v1/admin/audit), the token list (GET /v1/admin/tokens) and
// the caller's own label (GET /v1/whoami).
// The route-by-route roles are in admin_roles.cc.
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cairn/admin/v1/access.pb.h"
#include "cairn/common/strings.h"
#include "gdpr/admin_api.h"
#include "gdpr/admin_roles.h"
#include "http/proto_json.h"
#include "ops/json_text.h"
#include "ops/log.h"
#include "store/audit_store.h"
#include "success/engagement_views.h"

namespace cairn::collector {
namespace {

constexpr size_t kMaxAuditPage = 1000;
constexpr size_t kDefaultAuditPage = 100;

HttpResponse BadQuery(std::string_view reason) { return TextResponse(400, reason); }

// "YYYY-MM-DD" (that day's start, UTC) or an RFC 3339 time.
std::optional<absl::Time> ParseSince(const std::string& text) {
  absl::Time t;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &error)) return t;
  if (text.size() == 10 && absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &t, &error)) {
    return t;
  }
  return std::nullopt;
}

}  // namespace

void AdminApi::Audit(const HttpRequest& request, const KeyLabel& caller, int status) {
  RouteAccess access = AccessFor(request.method, request.Path());
  if (!access.audited) return;
  AuditEntry entry;
  entry.at = clock_->Now();
  entry.actor = caller.name;
  entry.role = std::string(AdminRoleName(caller.role));
  entry.method = request.method;
  entry.route = std::string(access.pattern);
  entry.account_id = std::move(access.account_id);
  entry.status = status;
  absl::StatusOr<std::string> written = AuditStore(store_).Append(entry);
  if (!written.ok()) {
    Log(LogLevel::kError, "audit_write_failed",
        {{"route", entry.route}, {"code", absl::StatusCodeToString(written.status().code())}});
  }
}

HttpResponse AdminApi::ListAudit(const HttpRequest& request) {
  AuditQuery query;
  query.limit = kDefaultAuditPage;
  if (std::optional<std::string> actor = request.QueryParam("actor")) {
    if (!IsValidKeyName(*actor)) return BadQuery("actor must be a token name");
    query.actor = *actor;
  }
  if (std::optional<std::string> since = request.QueryParam("since")) {
    query.since = ParseSince(*since);
    if (!query.since) return BadQuery("since must be YYYY-MM-DD or an RFC 3339 time");
  }
  if (std::optional<std::string> text = request.QueryParam("limit")) {
    uint64_t parsed = 0;
    if (!absl::SimpleAtoi(*text, &parsed) || parsed == 0 || parsed > kMaxAuditPage) {
      return BadQuery(absl::StrCat("limit must be 1-", kMaxAuditPage));
    }
    query.limit = static_cast<size_t>(parsed);
  }
  query.before = request.QueryParam("page_token").value_or("");
  absl::StatusOr<AuditPage> page = AuditStore(store_).List(query);
  if (!page.ok()) {
    if (page.status().code() == absl::StatusCode::kInvalidArgument) {
      return BadQuery("bad page_token");
    }
    return EngagementStoreFailure(page.status());
  }
  admin::v1::AuditPage out;
  for (const AuditEntry& e : page->entries) {
    admin::v1::AuditEntry* row = out.add_entries();
    row->set_at(FormatRfc3339(e.at));
    row->set_actor(e.actor);
    row->set_role(e.role);
    row->set_method(e.method);
    row->set_route(e.route);
    *row->mutable_account_id() = StringOrNull(e.account_id);
    row->set_status(static_cast<int32_t>(e.status));
  }
  out.set_next_page_token(page->next_page_token);
  return AdminJsonResponse(out);
}

HttpResponse AdminApi::ListTokens() {
  admin::v1::AdminTokenList out;
  for (const WriteKeySet::ListedKey& key : admin_tokens_->List()) {
    admin::v1::AdminToken* token = out.add_tokens();
    token->set_name(key.label.name);
    token->set_role(std::string(AdminRoleName(key.label.role)));
    token->set_fingerprint(key.fingerprint);
  }
  return AdminJsonResponse(out);
}

HttpResponse AdminApi::WhoAmI(const KeyLabel& caller) {
  admin::v1::WhoAmI out;
  out.set_name(caller.name);
  out.set_role(std::string(AdminRoleName(caller.role)));
  return AdminJsonResponse(out);
}

}  // namespace cairn::collector
