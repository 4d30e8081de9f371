#ifndef CAIRN_ENGAGEMENT_MILESTONES_H_
#define CAIRN_ENGAGEMENT_MILESTONES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cairn/engagement/aggregates.h"

namespace cairn::engagement {

// One key milestone of an account.
struct KeyMilestone {
  std::string name;
  // The first time any user of the account reached it (nullopt: not yet).
  std::optional<absl::Time> first_reached;
  // Time to value: first_reached - the account's first login, floored at 0
  // (a milestone can precede every consented login). nullopt when not
  // reached or the account has no consented login.
  std::optional<absl::Duration> time_to_value;
};

// Milestones reached, time to value per key milestone, adoption.
struct MilestoneSummary {
  // Distinct milestone names any user reached by `now` (key or not).
  int64_t reached = 0;
  // One entry per distinct key milestone, in the order the vendor defined.
  std::vector<KeyMilestone> key;
  int64_t key_reached = 0;
  // key_reached / key.size(); nullopt when no key milestone is defined.
  std::optional<double> adoption;
  // The account's first consented login (AccountFirstLogin).
  std::optional<absl::Time> account_first_login;
};

// Computes the summary of `input` at `now`; milestones and logins after
// `now` are ignored. Cost: O(milestone rows x key milestones).
MilestoneSummary ComputeMilestones(const AccountInput& input, absl::Time now);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_MILESTONES_H_
