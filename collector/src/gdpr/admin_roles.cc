#include "gdpr/admin_roles.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "cairn/common/event_rules.h"
#include "cairn/common/strings.h"
#include "http/http_types.h"
#include "http/route_table.h"

namespace cairn::collector {
namespace {

using enum AdminRole;

// One row: the pattern, the role a GET needs, the role any other method
// needs, and whether a GET is audited too.
struct Row {
  std::string_view pattern;
  AdminRole read;
  AdminRole write;
  bool audit_get = false;
};

// Personal data and deletions are the admin's; reading customer success is
// anyone's; changing it is the CSM's. First match wins.
constexpr std::array kRows = {
    Row{"/v1/users/{id}/export", kAdmin, kAdmin, true},
    Row{"/v1/users/{id}", kAdmin, kAdmin},
    Row{"/v1/renewal-notifications/recipients", kRead, kAdmin},
    Row{"/v1/renewal-notifications/suppressions/{id}", kAdmin, kAdmin},
    Row{"/v1/admin/purge", kAdmin, kAdmin},
    Row{"/v1/admin/audit", kAdmin, kAdmin},
    Row{"/v1/admin/tokens", kAdmin, kAdmin},
    // Every token may learn its own name and role (GET only).
    Row{"/v1/whoami", kRead, kRead},
    Row{"/v1/accounts", kRead, kCsm},
    Row{"/v1/accounts/{id}", kRead, kCsm},
    Row{"/v1/accounts/{id}/goals", kRead, kCsm},
    Row{"/v1/accounts/{id}/goals/{goal_id}", kRead, kCsm},
    Row{"/v1/accounts/{id}/customer-link", kRead, kCsm},
    Row{"/v1/accounts/{id}/tasks", kRead, kCsm},
    Row{"/v1/accounts/{id}/tasks/{task_id}", kRead, kCsm},
    Row{"/v1/accounts/{id}/notes", kRead, kCsm},
    // Names users (pseudonymised) with their activity: reads are audited.
    Row{"/v1/accounts/{id}/users", kRead, kCsm, true},
    Row{"/v1/accounts/{id}/workflow", kAdmin, kAdmin},
    Row{"/v1/tasks", kRead, kCsm},
    Row{"/v1/alerts", kRead, kCsm},
    Row{"/v1/alerts/evaluate", kRead, kCsm},
    // An alert's own actions (acknowledge, snooze).
    Row{"/v1/alerts/{id}/**", kRead, kCsm},
    Row{"/v1/renewals/upcoming", kRead, kCsm},
    Row{"/v1/renewals/forecast", kRead, kCsm},
    Row{"/v1/account-groups", kRead, kCsm},
    Row{"/v1/retention", kRead, kCsm},
    Row{"/v1/backtest", kRead, kCsm},
    Row{"/v1/feedback/summary", kRead, kCsm},
    // The health model scores the whole book: the admin's to change.
    Row{"/v1/health-model", kRead, kAdmin},
    // The account's other views and settings.
    Row{"/v1/accounts/{id}/**", kRead, kCsm},
};

const RouteTable& AccessTable() {
  static const RouteTable* const table = [] {
    auto* routes = new RouteTable;
    for (size_t i = 0; i < kRows.size(); ++i) {
      routes->Add(kRows[i].pattern, "", static_cast<int>(i));
    }
    return routes;
  }();
  return *table;
}

}  // namespace

RouteAccess AccessFor(std::string_view method, std::string_view path) {
  RouteAccess access;
  const bool get = method == "GET" || method == "HEAD";
  std::optional<RouteMatch> match = AccessTable().Match(path);
  if (!match) {
    access.pattern = "other";
    access.audited = !get;
    return access;
  }
  const Row& row = kRows[static_cast<size_t>(match->id)];
  access.pattern = row.pattern;
  access.role = get ? row.read : row.write;
  access.audited = !get || row.audit_get;
  if (row.pattern.starts_with("/v1/accounts/") && !match->params.empty()) {
    std::optional<std::string> id = PercentDecode(match->params.front());
    if (id && IsValidId(*id)) access.account_id = std::move(id);
  }
  return access;
}

std::string ForbiddenText(AdminRole held, std::string_view method, const RouteAccess& access) {
  return absl::StrCat("role ", ToAbsl(AdminRoleName(held)), " may not ", ToAbsl(method), " ",
                      ToAbsl(access.pattern), " (needs ", ToAbsl(AdminRoleName(access.role)), ")");
}

}  // namespace cairn::collector
