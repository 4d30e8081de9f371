#ifndef CAIRN_ENGAGEMENT_GOALS_H_
#define CAIRN_ENGAGEMENT_GOALS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/engagement/aggregates.h"
#include "cairn/engagement/day.h"

namespace cairn::engagement {

// A milestone goal a customer defines for its account, e.g. "send 10
// invoices by 2026-12-31": milestone_name "invoice_sent", target_count 10.
struct Goal {
  std::string account_id;
  std::string name;            // the customer's label
  std::string milestone_name;  // which milestone events count
  int64_t target_count = 0;    // > 0
  // First UTC day whose events count: the day the goal was defined, so
  // earlier history does not pre-fill it.
  DayIndex start = 0;
  // Last UTC day whose events count (inclusive); nullopt: open-ended.
  std::optional<DayIndex> due;
};

// OK for a goal with non-empty account, name and milestone name, a
// positive target and due >= start; InvalidArgument otherwise. Free.
absl::Status ValidateGoal(const Goal& goal);

// Where a goal stands.
enum class GoalStatus {
  kAchieved,  // count >= target (events after due never count)
  kMissed,    // due has passed (today > due) short of the target
  kOnTrack,   // count >= the linear pace so far, or open-ended
  kAtRisk,    // below the linear pace, due not passed
};

// "achieved", "missed", "on_track", "at_risk".
std::string_view GoalStatusName(GoalStatus status);

// Progress of a goal as of `now`.
struct GoalProgress {
  // Milestone events (each counts 1, whatever its value) of any of the
  // account's users on days in [start, min(due, today)].
  int64_t count = 0;
  // The linear pace: target x (today - start) / (due - start + 1), i.e. the
  // share of the goal's days fully elapsed before today; 0 without due.
  double expected = 0;
  double fraction = 0;  // min(1, count / target)
  GoalStatus status = GoalStatus::kOnTrack;
};

// Evaluates `goal` on the account's milestone day rows (rows of other
// milestones are skipped). Cost: O(rows). Fails with InvalidArgument for a
// goal ValidateGoal refuses.
absl::StatusOr<GoalProgress> EvaluateGoal(const Goal& goal, std::span<const UserMilestoneDay> rows,
                                          absl::Time now);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_GOALS_H_
