#include "cairn/engagement/aggregates.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <utility>

namespace cairn::engagement {

std::vector<AccountDay> RollUpDays(std::span<const UserDayLogins> rows, DayIndex first,
                                   DayIndex last) {
  // A user can appear twice for one day only if the caller merged sources;
  // count it once as active either way.
  std::map<DayIndex, std::pair<int64_t, std::set<std::string_view>>> by_day;
  for (const UserDayLogins& row : rows) {
    if (row.day < first || row.day > last || row.logins <= 0) continue;
    auto& [logins, users] = by_day[row.day];
    logins += row.logins;
    users.insert(row.user_id);
  }
  std::vector<AccountDay> out;
  out.reserve(by_day.size());
  for (const auto& [day, entry] : by_day) {
    out.push_back({day, entry.first, static_cast<int64_t>(entry.second.size())});
  }
  return out;
}

int64_t LoginsBetween(std::span<const AccountDay> days, DayIndex first, DayIndex last) {
  int64_t sum = 0;
  for (const AccountDay& day : days) {
    if (day.day >= first && day.day <= last) sum += day.logins;
  }
  return sum;
}

std::optional<absl::Time> AccountFirstLogin(std::span<const UserFirstLogin> first_logins,
                                            absl::Time now) {
  std::optional<absl::Time> first;
  for (const UserFirstLogin& row : first_logins) {
    if (row.first_login > now) continue;
    if (!first || row.first_login < *first) first = row.first_login;
  }
  return first;
}

}  // namespace cairn::engagement
