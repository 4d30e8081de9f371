#include "auth/admin_role.h"

namespace cairn::collector {

std::string_view AdminRoleName(AdminRole role) {
  switch (role) {
    case AdminRole::kRead:
      return "read";
    case AdminRole::kCsm:
      return "csm";
    case AdminRole::kAdmin:
      return "admin";
  }
  return "admin";
}

std::optional<AdminRole> ParseAdminRole(std::string_view name) {
  for (AdminRole role : {AdminRole::kRead, AdminRole::kCsm, AdminRole::kAdmin}) {
    if (name == AdminRoleName(role)) return role;
  }
  return std::nullopt;
}

bool IsValidKeyName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace cairn::collector
