#ifndef CAIRN_ENGAGEMENT_AGGREGATES_H_
#define CAIRN_ENGAGEMENT_AGGREGATES_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cairn/engagement/day.h"

// The daily aggregates the store keeps, incrementally, instead of re-reading
// raw events. Every row is keyed by (account, user, ...), never by account
// alone: per-account figures (logins per day, distinct active users, first
// login, milestones reached) are sums, counts and minimums taken at read
// time over the user rows. So erasing a user, or withdrawing a purpose,
// is a DELETE of that user's rows and nothing else has to be corrected
// (no subtract-on-erase, no recount). Read cost per account: the user rows
// of the last kHistoryDays days, i.e. at most users x kHistoryDays.
// Times are the collector's skew-corrected occurred_at; days are UTC.

namespace cairn::engagement {

// Days of login history the formulas read, counting today: the 90-day peak
// of 14-day active users needs windows ending on the last 90 days, the
// oldest of which starts 13 days earlier (90 + 13 = 103).
inline constexpr int kHistoryDays = 103;

// Logins of one user of an account on one UTC day.
// Store: table user_day(account, user, day, logins), primary key
// (account, user, day). Per consented login: upsert logins += 1.
// Erasure / usage-analytics withdrawal: delete the user's rows.
struct UserDayLogins {
  std::string user_id;
  DayIndex day = 0;
  int64_t logins = 0;
};

// The first consented login ever seen for a user of an account (not bounded
// by kHistoryDays: time to value measures from it).
// Store: user_first_login(account, user, first_login), upsert with MIN().
// Erasure / usage-analytics withdrawal: delete the row.
struct UserFirstLogin {
  std::string user_id;
  absl::Time first_login = absl::InfiniteFuture();
};

// The first time a user of an account reached a milestone.
// Store: user_milestone(account, user, name, first_reached), upsert MIN().
// Erasure / milestones withdrawal: delete the user's rows.
struct UserMilestone {
  std::string user_id;
  std::string name;
  absl::Time first_reached = absl::InfiniteFuture();
};

// Milestone events of one user of an account, one name, one UTC day (goal
// progress counts these).
// Store: user_milestone_day(account, user, name, day, events, value_sum),
// upsert events += 1, value_sum += value (0 when the event has none).
// Erasure / milestones withdrawal: delete the user's rows.
struct UserMilestoneDay {
  std::string user_id;
  std::string name;
  DayIndex day = 0;
  int64_t events = 0;
  double value_sum = 0;
};

// The per-account rollup of one day, computed at read time from
// UserDayLogins (see RollUpDays): never stored, so erasure needs no fix-up.
struct AccountDay {
  DayIndex day = 0;
  int64_t logins = 0;        // sum over users
  int64_t active_users = 0;  // users with >= 1 login that day
};

// Everything the engagement formulas need for one account, as read from the
// store (or produced by Aggregator::Snapshot). Rows may come in any order.
struct AccountInput {
  std::string account_id;
  // Seats the vendor sold the account; nullopt (or <= 0) when not set.
  std::optional<int64_t> seats;
  // Milestone names the vendor defined as key (adoption and time to value).
  std::vector<std::string> key_milestones;
  // Login rows of the last kHistoryDays days up to today (older rows are
  // ignored; rows after today, from clocks still ahead, are ignored too).
  std::vector<UserDayLogins> login_days;
  std::vector<UserFirstLogin> first_logins;
  std::vector<UserMilestone> milestones;
};

// Per-day account rollup of `rows` for days in [first, last], sorted by day,
// days without logins omitted. Rows must be unique per (user, day) (the
// store's primary key): a repeated pair would count its user twice in that
// day's active_users. Cost: O(rows + last - first); keep the span short
// (a few hundred days). Cannot fail.
std::vector<AccountDay> RollUpDays(std::span<const UserDayLogins> rows, DayIndex first,
                                   DayIndex last);

// Sum of AccountDay::logins over days in [first, last]. Cost: O(days).
int64_t LoginsBetween(std::span<const AccountDay> days, DayIndex first, DayIndex last);

// Logins per active user-day over days in [first, last], at least 1 (1
// without logins). Each active user-day adds a burst of logins, so a weekly
// count scatters about sqrt(count x this) rather than a Poisson count's
// sqrt(count): the noise checks of the alert rules scale by it. Cost: O(days).
double LoginsPerActiveUserDay(std::span<const AccountDay> days, DayIndex first, DayIndex last);

// The account's first consented login: the minimum over `first_logins`,
// ignoring entries after `now`; nullopt if none. Cost: O(rows).
std::optional<absl::Time> AccountFirstLogin(std::span<const UserFirstLogin> first_logins,
                                            absl::Time now);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_AGGREGATES_H_
