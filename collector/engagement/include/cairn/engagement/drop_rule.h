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
#include "cairn/engagement/long_trend.h"

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
  // Size: a drop must also lose at least this many logins a week against
  // the baseline mean (a 6-login week falling to 3 is noise, not a drop).
  double min_weekly_change = 4;
  // ... and at least noise_z x sqrt(baseline mean x logins per active
  // user-day): the spread of a count around its mean grows like its square
  // root, and each active user-day adds a burst of logins, so small and
  // bursty accounts need a relatively larger fall (0: off). A week that
  // falls short still counts when the last two weeks together (against the
  // 4 weeks before them) are below drop_ratio and pass both minimums
  // (doubled).
  double noise_z = 2;
  // Seasonality: a drop the week of complete days (ending yesterday) does
  // not confirm, or that the account's own recurring dip explains (see
  // ComputeSeasonalBaseline), is not one.
  bool seasonal = true;
  // The slow-decline rule of EvaluateUsage.
  DeclineRule decline;
};

// OK if 0 < severe_ratio <= drop_ratio <= 1, 1 <= severe_weeks <= 8,
// min_baseline_weekly_logins >= 0, min_weekly_change >= 0 and the decline
// rule passes ValidateDeclineRule; InvalidArgument otherwise. Free.
absl::Status ValidateDropRule(const DropRule& rule);

// The usage state of an account under a rule. kDeclining (a slow 12-week
// decline) is the weakest alert, then drop, then severe; the numbers are
// stored, so new states go at the end.
enum class DropState { kNone = 0, kDrop = 1, kSevere = 2, kDeclining = 3 };

// "none", "drop", "severe", "declining".
std::string_view DropStateName(DropState state);

// The strength order of the states: none 0, declining 1, drop 2, severe 3. Free.
int DropStateRank(DropState state);

// Why a week below drop_ratio was not called a drop.
enum class DropVeto {
  kNone,          // not vetoed (a drop, or no drop to veto)
  kSmallChange,   // lost fewer logins than min_weekly_change or the noise
  kPartialDay,    // the week ending yesterday (complete days) is no drop
  kRecurringDip,  // no deeper than the account's recurring dip
};

// "none", "small_change", "partial_day", "recurring_dip".
std::string_view DropVetoName(DropVeto veto);

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
  DropVeto veto = DropVeto::kNone;
  // The 12-week trend (EvaluateUsage only; unmeasured after EvaluateDrop).
  LongTrend long_trend;
};

// Evaluates `rule` on `days` (a RollUpDays result covering at least
// 7 x (4 + severe_weeks) days before now) for an account whose first
// consented login was `account_first_login` (nullopt: none, never
// evaluable). Cost: O(days x severe_weeks). Fails with InvalidArgument (see
// ValidateDropRule) for a bad rule.
absl::StatusOr<DropEvaluation> EvaluateDrop(std::span<const AccountDay> days,
                                            std::optional<absl::Time> account_first_login,
                                            absl::Time now, const DropRule& rule);

// EvaluateDrop, then the slow-decline rule (rule.decline) on the 12-week
// trend: state kDeclining when the week is not a drop or severe but the
// account is declining. `days` must cover the 84 days ending today for the
// trend (kHistoryDays does). This is what AlertEvaluator runs. Cost:
// EvaluateDrop plus a 12-point Theil-Sen fit. Fails like EvaluateDrop.
absl::StatusOr<DropEvaluation> EvaluateUsage(std::span<const AccountDay> days,
                                             std::optional<absl::Time> account_first_login,
                                             absl::Time now, const DropRule& rule);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_DROP_RULE_H_
