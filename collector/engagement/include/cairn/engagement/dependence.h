#ifndef CAIRN_ENGAGEMENT_DEPENDENCE_H_
#define CAIRN_ENGAGEMENT_DEPENDENCE_H_

#include <cstdint>
#include <optional>

#include "absl/time/time.h"
#include "cairn/engagement/aggregates.h"

namespace cairn::engagement {

// Days of logins the single-user dependence rule looks at.
inline constexpr int kDependenceDays = 28;
// Share of those logins one user must hold for the account to depend on them.
inline constexpr double kSingleUserShare = 0.6;

// How much of an account's recent use comes from its busiest user: when that
// person leaves, the account goes quiet, which no account-level count shows.
struct Dependence {
  int64_t recent_logins = 0;    // the account's logins in the last kDependenceDays days
  int64_t top_user_logins = 0;  // the busiest user's share of them, as a count
  int64_t known_users = 0;      // users with any stored login (window or not)
  // top_user_logins / recent_logins; nullopt without recent logins.
  std::optional<double> top_share() const;
  // IsSingleUserDependence of the three counts.
  bool single_user() const;
};

// True when one user holds kSingleUserShare or more of `recent_logins` and
// the account has at least two known users (a one-person account depends on
// its user by design, which is no risk signal). Free.
bool IsSingleUserDependence(int64_t top_user_logins, int64_t recent_logins, int64_t known_users);

// The dependence of `input` over the kDependenceDays days ending with the day
// of `now` (rows after it ignored). Known users: distinct users among its
// first logins and login rows. Cost: O(rows log users). Cannot fail.
Dependence ComputeDependence(const AccountInput& input, absl::Time now);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_DEPENDENCE_H_
