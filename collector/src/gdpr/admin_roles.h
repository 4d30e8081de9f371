#ifndef CAIRN_COLLECTOR_GDPR_ADMIN_ROLES_H_
#define CAIRN_COLLECTOR_GDPR_ADMIN_ROLES_H_

#include <optional>
#include <string>
#include <string_view>

#include "auth/admin_role.h"

namespace cairn::collector {

// What an admin request needs and how the audit log names it.
struct RouteAccess {
  // The route's pattern ("/v1/users/{id}"): the audit log keeps this, never
  // the path, so no user id reaches it.
  std::string_view pattern;
  // The least role that may call the route with the request's method.
  AdminRole role = AdminRole::kAdmin;
  // Written to the audit log: every method but GET, and a GET that hands
  // out personal data (the GDPR export).
  bool audited = false;
  // The decoded account id of a /v1/accounts/{id}/... path (kept in the
  // audit log: an account is a customer company, not a person); nullopt
  // elsewhere or if the id does not decode.
  std::optional<std::string> account_id;
};

// The one table of who may call which admin route (every route of the GDPR,
// customer-success and workflow APIs; an admin path it does not list needs
// kAdmin, so a new endpoint is closed until given a row). Cost: a walk of
// the table. Thread-safe.
RouteAccess AccessFor(std::string_view method, std::string_view path);

// The 403 text for a role the route does not allow, e.g.
// "role read may not POST /v1/accounts/{id}/tasks (needs csm)".
std::string ForbiddenText(AdminRole held, std::string_view method, const RouteAccess& access);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_GDPR_ADMIN_ROLES_H_
