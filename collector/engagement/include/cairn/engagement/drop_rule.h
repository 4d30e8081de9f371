#ifndef CAIRN_ENGAGEMENT_DROP_RULE_H_
#define CAIRN_ENGAGEMENT_DROP_RULE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/engagement/aggregates.h"

namespace cairn::engagement {

// A vendor's usage-drop rule. Weeks are those of ComputeTrend: 7 UTC days
// ending today, against the mean of the 4 weeks before.
struct DropRule {
  // Drop: this week's logins below drop_ratio x baseline mean.
  double drop_ratio = 0.75;
  // Severe: below severe_ratio x its own baseline mean for severe_weeks
  // weeks running (this week and the severe_weeks - 1 weeks before).
  double severe_ratio = 0.5;
  int severe_weeks = 2;
  // No state (none) unless the baseline mean is at least this many logins a
  // week: small accounts swing too much to alert on.
  double min_baseline_weekly_logins = 5;
};

// OK if 0 < severe_ratio <= drop_ratio <= 1, 1 <= severe_weeks <= 8 and
// min_baseline_weekly_logins >= 0; InvalidArgument otherwise. Free.
absl::Status ValidateDropRule(const DropRule& rule);

// The usage state of an account under a rule.
enum class DropState { kNone, kDrop, kSevere };

// "none", "drop", "severe".
std::string_view DropStateName(DropState state);

// The result of one evaluation.
struct DropEvaluation {
  DropState state = DropState::kNone;
  // True when the week could be judged: the account's history covers the 4
  // baseline weeks and their mean reaches min_baseline_weekly_logins. When
  // false, state is kNone but says nothing about recovery.
  bool evaluable = false;
  int64_t this_week = 0;
  double baseline_mean = 0;
  double ratio = 0;  // this_week / baseline_mean when evaluable, else 0
};

// Evaluates `rule` on `days` (a RollUpDays result covering at least
// 7 x (4 + severe_weeks) days before now) for an account whose first
// consented login was `account_first_login` (nullopt: none, never
// evaluable). Cost: O(days x severe_weeks). Fails with InvalidArgument (see
// ValidateDropRule) for a bad rule.
absl::StatusOr<DropEvaluation> EvaluateDrop(std::span<const AccountDay> days,
                                            std::optional<absl::Time> account_first_login,
                                            absl::Time now, const DropRule& rule);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_DROP_RULE_H_
