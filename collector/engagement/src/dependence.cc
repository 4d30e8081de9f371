#include "cairn/engagement/dependence.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "cairn/engagement/day.h"

namespace cairn::engagement {

std::optional<double> Dependence::top_share() const {
  if (recent_logins <= 0) return std::nullopt;
  return static_cast<double>(top_user_logins) / static_cast<double>(recent_logins);
}

bool Dependence::single_user() const {
  return IsSingleUserDependence(top_user_logins, recent_logins, known_users);
}

bool IsSingleUserDependence(int64_t top_user_logins, int64_t recent_logins, int64_t known_users) {
  return known_users >= 2 && recent_logins > 0 &&
         static_cast<double>(top_user_logins) >=
             kSingleUserShare * static_cast<double>(recent_logins);
}

Dependence ComputeDependence(const AccountInput& input, absl::Time now) {
  const DayIndex today = DayOf(now);
  const DayIndex first = today - (kDependenceDays - 1);
  std::set<std::string_view> known;
  std::map<std::string_view, int64_t> recent;
  Dependence out;
  for (const UserFirstLogin& f : input.first_logins) known.insert(f.user_id);
  for (const UserDayLogins& row : input.login_days) {
    if (row.day > today) continue;
    known.insert(row.user_id);
    if (row.day < first || row.logins <= 0) continue;
    recent[row.user_id] += row.logins;
    out.recent_logins += row.logins;
  }
  for (const auto& [user, logins] : recent) {
    out.top_user_logins = std::max(out.top_user_logins, logins);
  }
  out.known_users = static_cast<int64_t>(known.size());
  return out;
}

}  // namespace cairn::engagement
