#include "cairn/engagement/aggregator.h"

#include <algorithm>

namespace cairn::engagement {

void Aggregator::AddToDay(std::vector<DayCount>& days, DayIndex day, double value) {
  if (days.empty() || days.back().day < day) {
    days.push_back({day, 1, value});
    return;
  }
  if (days.back().day == day) {
    ++days.back().events;
    days.back().value_sum += value;
    return;
  }
  auto it = std::lower_bound(days.begin(), days.end(), day,
                             [](const DayCount& row, DayIndex d) { return row.day < d; });
  if (it != days.end() && it->day == day) {
    ++it->events;
    it->value_sum += value;
  } else {
    days.insert(it, {day, 1, value});
  }
}

absl::Status Aggregator::Fold(const Event& event) {
  if (event.account_id.empty() || event.user_id.empty()) {
    return absl::InvalidArgumentError("engagement event without account or user id");
  }
  if (event.kind == EventKind::kMilestone && event.milestone_name.empty()) {
    return absl::InvalidArgumentError("milestone event without a name");
  }
  if (event.occurred_at == absl::InfinitePast() || event.occurred_at == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("engagement event with an infinite time");
  }
  if (!event.consented) {
    ++skipped_unconsented_;
    return absl::OkStatus();
  }
  auto account = accounts_.find(event.account_id);
  if (account == accounts_.end()) {
    account = accounts_.emplace(std::string(event.account_id), AccountRows{}).first;
  }
  auto user = account->second.users.find(event.user_id);
  if (user == account->second.users.end()) {
    user = account->second.users.emplace(std::string(event.user_id), UserRows{}).first;
  }
  UserRows& rows = user->second;
  const DayIndex day = DayOf(event.occurred_at);
  if (event.kind == EventKind::kLogin) {
    AddToDay(rows.login_days, day, 0);
    rows.first_login = std::min(rows.first_login, event.occurred_at);
  } else {
    auto milestone = rows.milestones.find(event.milestone_name);
    if (milestone == rows.milestones.end()) {
      milestone = rows.milestones.emplace(std::string(event.milestone_name), MilestoneRows{}).first;
    }
    AddToDay(milestone->second.days, day, event.value.value_or(0));
    milestone->second.first_reached = std::min(milestone->second.first_reached, event.occurred_at);
  }
  ++folded_;
  return absl::OkStatus();
}

int Aggregator::RemoveUser(std::string_view user_id) {
  int touched = 0;
  for (auto it = accounts_.begin(); it != accounts_.end();) {
    auto user = it->second.users.find(user_id);
    if (user != it->second.users.end()) {
      it->second.users.erase(user);
      ++touched;
    }
    it = it->second.users.empty() ? accounts_.erase(it) : std::next(it);
  }
  return touched;
}

int Aggregator::RemovePurpose(std::string_view user_id, consent::Purpose purpose) {
  if (purpose != consent::Purpose::kUsageAnalytics && purpose != consent::Purpose::kMilestones) {
    return 0;
  }
  int touched = 0;
  for (auto it = accounts_.begin(); it != accounts_.end();) {
    auto user = it->second.users.find(user_id);
    if (user != it->second.users.end()) {
      UserRows& rows = user->second;
      bool had = false;
      if (purpose == consent::Purpose::kUsageAnalytics) {
        had = !rows.login_days.empty();
        rows.login_days.clear();
        rows.first_login = absl::InfiniteFuture();
      } else {
        had = !rows.milestones.empty();
        rows.milestones.clear();
      }
      if (had) ++touched;
      if (rows.empty()) it->second.users.erase(user);
    }
    it = it->second.users.empty() ? accounts_.erase(it) : std::next(it);
  }
  return touched;
}

AccountInput Aggregator::Snapshot(std::string_view account_id, const AccountConfig& config,
                                  absl::Time now) const {
  AccountInput input;
  input.account_id = std::string(account_id);
  input.seats = config.seats;
  input.key_milestones = config.key_milestones;
  auto account = accounts_.find(account_id);
  if (account == accounts_.end()) return input;
  const DayIndex today = DayOf(now);
  const DayIndex oldest = today - (kHistoryDays - 1);
  for (const auto& [user_id, rows] : account->second.users) {
    for (const DayCount& row : rows.login_days) {
      if (row.day >= oldest && row.day <= today) {
        input.login_days.push_back({user_id, row.day, row.events});
      }
    }
    if (rows.first_login != absl::InfiniteFuture()) {
      input.first_logins.push_back({user_id, rows.first_login});
    }
    for (const auto& [name, milestone] : rows.milestones) {
      input.milestones.push_back({user_id, name, milestone.first_reached});
    }
  }
  return input;
}

std::vector<UserMilestoneDay> Aggregator::MilestoneDays(std::string_view account_id) const {
  std::vector<UserMilestoneDay> out;
  auto account = accounts_.find(account_id);
  if (account == accounts_.end()) return out;
  for (const auto& [user_id, rows] : account->second.users) {
    for (const auto& [name, milestone] : rows.milestones) {
      for (const DayCount& row : milestone.days) {
        out.push_back({user_id, name, row.day, row.events, row.value_sum});
      }
    }
  }
  return out;
}

std::vector<std::string> Aggregator::AccountIds() const {
  std::vector<std::string> out;
  out.reserve(accounts_.size());
  for (const auto& [id, rows] : accounts_) out.push_back(id);
  return out;
}

}  // namespace cairn::engagement
