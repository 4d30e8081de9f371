#include "cairn/engagement/milestones.h"

#include <algorithm>
#include <map>
#include <string_view>

namespace cairn::engagement {

MilestoneSummary ComputeMilestones(const AccountInput& input, absl::Time now) {
  MilestoneSummary summary;
  summary.account_first_login = AccountFirstLogin(input.first_logins, now);
  // First reach per name over all users.
  std::map<std::string_view, absl::Time> first_by_name;
  for (const UserMilestone& row : input.milestones) {
    if (row.first_reached > now) continue;
    auto [it, inserted] = first_by_name.emplace(row.name, row.first_reached);
    if (!inserted) it->second = std::min(it->second, row.first_reached);
  }
  summary.reached = static_cast<int64_t>(first_by_name.size());
  for (const std::string& name : input.key_milestones) {
    const bool seen = std::any_of(summary.key.begin(), summary.key.end(),
                                  [&](const KeyMilestone& k) { return k.name == name; });
    if (seen) continue;
    KeyMilestone key{name, std::nullopt, std::nullopt};
    auto it = first_by_name.find(name);
    if (it != first_by_name.end()) {
      key.first_reached = it->second;
      ++summary.key_reached;
      if (summary.account_first_login) {
        key.time_to_value =
            std::max(absl::ZeroDuration(), it->second - *summary.account_first_login);
      }
    }
    summary.key.push_back(std::move(key));
  }
  if (!summary.key.empty()) {
    summary.adoption =
        static_cast<double>(summary.key_reached) / static_cast<double>(summary.key.size());
  }
  return summary;
}

}  // namespace cairn::engagement
