#include "cairn/engagement/drop_rule.h"

#include "cairn/engagement/seasonality.h"

namespace cairn::engagement {
namespace {

// One week ending on `last` against the 4 weeks before it.
struct Week {
  bool evaluable = false;
  int64_t logins = 0;
  double baseline_mean = 0;
  double ratio = 0;
};

Week JudgeWeek(std::span<const AccountDay> days, std::optional<DayIndex> first_day, DayIndex last,
               const DropRule& rule) {
  Week week;
  week.logins = LoginsBetween(days, last - 6, last);
  week.baseline_mean = static_cast<double>(LoginsBetween(days, last - 34, last - 7)) / 4.0;
  // The baseline must be all history, or a new account looks like a drop.
  const bool covered = first_day && *first_day <= last - 34;
  week.evaluable =
      covered && week.baseline_mean > 0 && week.baseline_mean >= rule.min_baseline_weekly_logins;
  if (week.evaluable) week.ratio = static_cast<double>(week.logins) / week.baseline_mean;
  return week;
}

// Whether the account's size or own rhythm explains a week below drop_ratio.
DropVeto Veto(std::span<const AccountDay> days, DayIndex today, const Week& week,
              const DropRule& rule) {
  if (week.baseline_mean - static_cast<double>(week.logins) < rule.min_weekly_change) {
    return DropVeto::kSmallChange;
  }
  if (!rule.seasonal) return DropVeto::kNone;
  const SeasonalBaseline seasonal =
      ComputeSeasonalBaseline(days, today, rule.drop_ratio, rule.min_baseline_weekly_logins);
  if (seasonal.complete_days_ratio && *seasonal.complete_days_ratio >= rule.drop_ratio) {
    return DropVeto::kWeeklyRhythm;
  }
  if (seasonal.dip_period_weeks > 0 &&
      static_cast<double>(week.logins) >= rule.drop_ratio * seasonal.dip_expected) {
    return DropVeto::kRecurringDip;
  }
  return DropVeto::kNone;
}

}  // namespace

absl::Status ValidateDropRule(const DropRule& rule) {
  if (!(rule.severe_ratio > 0 && rule.severe_ratio <= rule.drop_ratio && rule.drop_ratio <= 1)) {
    return absl::InvalidArgumentError("drop rule needs 0 < severe_ratio <= drop_ratio <= 1");
  }
  if (rule.severe_weeks < 1 || rule.severe_weeks > 8) {
    return absl::InvalidArgumentError("drop rule needs 1 <= severe_weeks <= 8");
  }
  if (!(rule.min_baseline_weekly_logins >= 0)) {
    return absl::InvalidArgumentError("drop rule needs min_baseline_weekly_logins >= 0");
  }
  if (!(rule.min_weekly_change >= 0)) {
    return absl::InvalidArgumentError("drop rule needs min_weekly_change >= 0");
  }
  return ValidateDeclineRule(rule.decline);
}

std::string_view DropStateName(DropState state) {
  switch (state) {
    case DropState::kNone:
      return "none";
    case DropState::kDrop:
      return "drop";
    case DropState::kSevere:
      return "severe";
    case DropState::kDeclining:
      return "declining";
  }
  return "none";
}

int DropStateRank(DropState state) {
  switch (state) {
    case DropState::kNone:
      return 0;
    case DropState::kDeclining:
      return 1;
    case DropState::kDrop:
      return 2;
    case DropState::kSevere:
      return 3;
  }
  return 0;
}

std::string_view DropVetoName(DropVeto veto) {
  switch (veto) {
    case DropVeto::kNone:
      return "none";
    case DropVeto::kSmallChange:
      return "small_change";
    case DropVeto::kWeeklyRhythm:
      return "weekly_rhythm";
    case DropVeto::kRecurringDip:
      return "recurring_dip";
  }
  return "none";
}

absl::StatusOr<DropEvaluation> EvaluateDrop(std::span<const AccountDay> days,
                                            std::optional<absl::Time> account_first_login,
                                            absl::Time now, const DropRule& rule) {
  if (absl::Status status = ValidateDropRule(rule); !status.ok()) return status;
  const DayIndex today = DayOf(now);
  std::optional<DayIndex> first_day;
  if (account_first_login) first_day = DayOf(*account_first_login);
  const Week current = JudgeWeek(days, first_day, today, rule);
  DropEvaluation eval;
  eval.evaluable = current.evaluable;
  eval.this_week = current.logins;
  eval.baseline_mean = current.baseline_mean;
  eval.ratio = current.ratio;
  if (!current.evaluable || current.ratio >= rule.drop_ratio) return eval;
  eval.veto = Veto(days, today, current, rule);
  if (eval.veto != DropVeto::kNone) return eval;
  eval.state = DropState::kDrop;
  if (current.ratio >= rule.severe_ratio) return eval;
  for (int j = 1; j < rule.severe_weeks; ++j) {
    const Week earlier = JudgeWeek(days, first_day, today - 7 * j, rule);
    if (!earlier.evaluable || earlier.ratio >= rule.severe_ratio) return eval;
  }
  eval.state = DropState::kSevere;
  return eval;
}

absl::StatusOr<DropEvaluation> EvaluateUsage(std::span<const AccountDay> days,
                                             std::optional<absl::Time> account_first_login,
                                             absl::Time now, const DropRule& rule) {
  absl::StatusOr<DropEvaluation> eval = EvaluateDrop(days, account_first_login, now, rule);
  if (!eval.ok()) return eval;
  eval->long_trend = ComputeLongTrend(days, account_first_login, now, rule.decline);
  if (eval->state == DropState::kNone && eval->long_trend.declining) {
    eval->state = DropState::kDeclining;
  }
  return eval;
}

}  // namespace cairn::engagement
