#include "cairn/engagement/aggregates.h"

#include <algorithm>

namespace cairn::engagement {

std::vector<AccountDay> RollUpDays(std::span<const UserDayLogins> rows, DayIndex first,
                                   DayIndex last) {
  if (last < first) return {};
  // Dense over the (short) window: no map, no per-day user set, because
  // rows are unique per (user, day), as the store's primary key makes them.
  std::vector<AccountDay> dense(static_cast<size_t>(last - first + 1));
  for (const UserDayLogins& row : rows) {
    if (row.day < first || row.day > last || row.logins <= 0) continue;
    AccountDay& day = dense[static_cast<size_t>(row.day - first)];
    day.logins += row.logins;
    ++day.active_users;
  }
  std::vector<AccountDay> out;
  for (size_t i = 0; i < dense.size(); ++i) {
    if (dense[i].logins == 0) continue;
    out.push_back({first + static_cast<DayIndex>(i), dense[i].logins, dense[i].active_users});
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

double LoginsPerActiveUserDay(std::span<const AccountDay> days, DayIndex first, DayIndex last) {
  int64_t logins = 0;
  int64_t user_days = 0;
  for (const AccountDay& day : days) {
    if (day.day < first || day.day > last) continue;
    logins += day.logins;
    user_days += day.active_users;
  }
  if (user_days <= 0) return 1.0;
  return std::max(1.0, static_cast<double>(logins) / static_cast<double>(user_days));
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
