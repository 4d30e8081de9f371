#ifndef CAIRN_COLLECTOR_STORE_ACCOUNT_USERS_H_
#define CAIRN_COLLECTOR_STORE_ACCOUNT_USERS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/engagement/aggregates.h"
#include "cairn/engagement/day.h"
#include "store/store.h"

namespace cairn::collector {

// One user's logins over a window of days, from user_day.
struct AccountUserLogins {
  std::string user_id;  // the pseudonymised id as stored
  int64_t active_days = 0;
  int64_t logins = 0;
  engagement::DayIndex last_seen = 0;  // the last day with a login in the window
};

// What AccountUsers::Read asks for: the window [from, to], one page of its
// users, and the recent window [recent_from, to] the champion is read from.
struct AccountUsersQuery {
  engagement::DayIndex from = 0;
  engagement::DayIndex to = 0;
  engagement::DayIndex recent_from = 0;
  size_t offset = 0;
  size_t limit = 100;
};

// The users of one account, read in one snapshot.
struct AccountUsersPage {
  // The page: users with a login in the window, most logins first, ties
  // by user id (byte order in both stores).
  std::vector<AccountUserLogins> users;
  // The milestones of the page's users, by user id, then first reached.
  std::vector<engagement::UserMilestone> milestones;
  int64_t total_users = 0;   // users with a login in the window
  int64_t total_logins = 0;  // the account's logins in the window
  int64_t known_users = 0;   // users with any stored first login or login day
  // The recent window: the user with the most active days (ties: logins,
  // then user id), the account's logins and the most one user holds.
  std::optional<AccountUserLogins> champion;
  int64_t recent_logins = 0;
  int64_t recent_top_user_logins = 0;
};

// The per-user view of an account over the consented daily aggregates
// (user_day, user_first_login, user_milestone), which consent withdrawal,
// erasure and retention already purge, so nothing else is read. Both
// stores run the same SQL with bound values only. No index beyond the
// tables' keys is needed: every query is a range of the (account_id, ...)
// primary keys, which retention bounds to the kept days. Thread-safe as the
// Store is; holds only the pointer.
class AccountUsers {
 public:
  explicit AccountUsers(Store* store) : store_(store) {}

  // One page of `account_id`'s users and the account-wide figures, in one
  // read snapshot. Cost: 6 indexed range reads of the account's rows.
  // Fails with the store's error, Unimplemented for a store without
  // engagement tables, DataLoss for a row that does not parse.
  absl::StatusOr<AccountUsersPage> Read(std::string_view account_id,
                                        const AccountUsersQuery& query);

 private:
  Store* const store_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_ACCOUNT_USERS_H_
