#include "cairn/engagement/goals.h"

#include <algorithm>

namespace cairn::engagement {

absl::Status ValidateGoal(const Goal& goal) {
  if (goal.account_id.empty() || goal.name.empty() || goal.milestone_name.empty()) {
    return absl::InvalidArgumentError("goal needs an account, a name and a milestone name");
  }
  if (goal.target_count <= 0) return absl::InvalidArgumentError("goal target must be positive");
  if (goal.due && *goal.due < goal.start) {
    return absl::InvalidArgumentError("goal due day is before its start day");
  }
  return absl::OkStatus();
}

std::string_view GoalStatusName(GoalStatus status) {
  switch (status) {
    case GoalStatus::kAchieved:
      return "achieved";
    case GoalStatus::kMissed:
      return "missed";
    case GoalStatus::kOnTrack:
      return "on_track";
    case GoalStatus::kAtRisk:
      return "at_risk";
  }
  return "on_track";
}

absl::StatusOr<GoalProgress> EvaluateGoal(const Goal& goal, std::span<const UserMilestoneDay> rows,
                                          absl::Time now) {
  if (absl::Status status = ValidateGoal(goal); !status.ok()) return status;
  const DayIndex today = DayOf(now);
  const DayIndex last = goal.due ? std::min(*goal.due, today) : today;
  GoalProgress progress;
  for (const UserMilestoneDay& row : rows) {
    if (row.name == goal.milestone_name && row.day >= goal.start && row.day <= last) {
      progress.count += row.events;
    }
  }
  const double target = static_cast<double>(goal.target_count);
  progress.fraction = std::min(1.0, static_cast<double>(progress.count) / target);
  if (goal.due) {
    const double elapsed = static_cast<double>(
        std::clamp(today - goal.start, DayIndex{0}, *goal.due - goal.start + 1));
    progress.expected = target * elapsed / static_cast<double>(*goal.due - goal.start + 1);
  }
  if (progress.count >= goal.target_count) {
    progress.status = GoalStatus::kAchieved;
  } else if (goal.due && today > *goal.due) {
    progress.status = GoalStatus::kMissed;
  } else if (static_cast<double>(progress.count) >= progress.expected) {
    progress.status = GoalStatus::kOnTrack;
  } else {
    progress.status = GoalStatus::kAtRisk;
  }
  return progress;
}

}  // namespace cairn::engagement
