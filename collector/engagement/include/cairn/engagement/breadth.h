#ifndef CAIRN_ENGAGEMENT_BREADTH_H_
#define CAIRN_ENGAGEMENT_BREADTH_H_

#include <cstdint>
#include <span>

#include "absl/time/time.h"
#include "cairn/engagement/aggregates.h"

namespace cairn::engagement {

// What breadth divides by.
enum class BreadthBasis {
  kSeats,  // the vendor set seats (> 0) for the account
  kPeak,   // otherwise: the 90-day peak of 14-day active users
};

// How much of the account uses the product: active users of the last 14
// days against seats or against the account's own 90-day peak.
struct Breadth {
  int64_t active_users = 0;  // distinct users with a login in [today-13, today]
  BreadthBasis basis = BreadthBasis::kPeak;
  int64_t denominator = 0;  // seats, or the peak
  double ratio = 0;         // min(1, active_users / denominator); 0 if denominator is 0
};

// Distinct users with at least one login on a day in [first, last].
// Cost: O(rows) with a hash set of user ids.
int64_t ActiveUsers(std::span<const UserDayLogins> rows, DayIndex first, DayIndex last);

// The 90-day peak of 14-day active users: the maximum, over the 90 days d in
// [today - 89, today], of ActiveUsers(rows, d - 13, d). Computed in one pass:
// each login day x of a user makes the user active in the windows ending on
// [x, x + 13]; the union of a user's spans is added to a difference array
// over the 90 end days. Cost: O(rows log rows).
int64_t PeakActiveUsers14(std::span<const UserDayLogins> rows, absl::Time now);

// Breadth of `input` at `now`. Cost: that of PeakActiveUsers14.
Breadth ComputeBreadth(const AccountInput& input, absl::Time now);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_BREADTH_H_
