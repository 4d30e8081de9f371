#ifndef CAIRN_COLLECTOR_AUTH_ADMIN_ROLE_H_
#define CAIRN_COLLECTOR_AUTH_ADMIN_ROLE_H_

#include <optional>
#include <string>
#include <string_view>

namespace cairn::collector {

// What an admin token may do, each role including the ones below it:
// kRead reads customer success (GET only, never a GDPR export); kCsm also
// writes account settings, goals, alert handling, tasks and notes; kAdmin
// does everything (GDPR export and erasure, purge, suppression lift, the
// audit log and token list). The route-by-route table is gdpr/admin_roles.cc.
enum class AdminRole { kRead = 0, kCsm = 1, kAdmin = 2 };

// "read", "csm", "admin".
std::string_view AdminRoleName(AdminRole role);

// The role a name spells (exactly as AdminRoleName writes it), else nullopt.
std::optional<AdminRole> ParseAdminRole(std::string_view name);

// True if a token of role `held` may call a route that needs `needed`.
inline bool RoleAllows(AdminRole held, AdminRole needed) {
  return static_cast<int>(held) >= static_cast<int>(needed);
}

// Who presented an admin token: the name its line in the key file gave
// (a person or a system, never an email) and its role. A key given without
// a name is called "key-" and the first 8 hex digits of its SHA-256.
struct KeyLabel {
  std::string name;
  AdminRole role = AdminRole::kAdmin;
};

// True for a token name: 1-64 bytes of [A-Za-z0-9._-] (so never an email
// and never anything a log or audit row would have to escape).
bool IsValidKeyName(std::string_view name);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_AUTH_ADMIN_ROLE_H_
