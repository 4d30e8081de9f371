#include "cairn/engagement/drop_rule.h"

#include <algorithm>
#include <array>
#include <cmath>

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

// Whether `seen` logins against `expected` is short by at least weeks x
// min_weekly_change and by noise_z spreads. A count's spread grows like
// sqrt(count x burst), `burst` being the logins per active user-day (see
// LoginsPerActiveUserDay); the expectation's own variance
// (`expected_variance_share` x expected: an average of several weeks is
// steadier than one week) is added.
bool BeyondNoise(double seen, double expected, double expected_variance_share, int weeks,
                 double burst, const DropRule& rule) {
  const double spread = std::sqrt(burst * expected * (1.0 + expected_variance_share));
  return expected - seen >= std::max(weeks * rule.min_weekly_change, rule.noise_z * spread);
}

// Weekly totals of the 13 weeks ending on `last`, newest first.
std::array<int64_t, 13> WeeksEnding(std::span<const AccountDay> days, DayIndex last) {
  std::array<int64_t, 13> weekly{};
  for (size_t k = 0; k < weekly.size(); ++k) {
    const DayIndex end = last - 7 * static_cast<DayIndex>(k);
    weekly[k] = LoginsBetween(days, end - 6, end);
  }
  return weekly;
}

// Whether the fall of week 0 of `weekly` (ending on `last`) stands out from
// the noise: against the mean of the 4 weeks before it, or, with the last
// two weeks together below drop_ratio of the 4 weeks before them, over two
// weeks (a small account's drop shows after two weeks when one is not enough).
bool Significant(std::span<const int64_t> weekly, std::optional<DayIndex> first_day, DayIndex last,
                 double burst, const DropRule& rule) {
  const auto sum = [&](int from, int to) {
    int64_t total = 0;
    for (int k = from; k <= to; ++k) total += weekly[static_cast<size_t>(k)];
    return static_cast<double>(total);
  };
  if (BeyondNoise(sum(0, 0), sum(1, 4) / 4.0, 1.0 / 4.0, 1, burst, rule)) return true;
  const double expected = sum(2, 5) / 2.0;
  return first_day && *first_day <= last - 41 && sum(0, 1) < rule.drop_ratio * expected &&
         BeyondNoise(sum(0, 1), expected, 2.0 / 4.0, 2, burst, rule);
}

// Whether today's partial day, the account's size or its own recurring dip
// explains a week below drop_ratio. With the seasonality checks on, the
// size and dip checks judge the complete week ending yesterday.
DropVeto Veto(std::span<const AccountDay> days, std::optional<DayIndex> first_day, DayIndex today,
              const DropRule& rule) {
  if (rule.seasonal) {
    // Today is only partly over: the week of complete days must agree.
    const Week complete = JudgeWeek(days, first_day, today - 1, rule);
    if (complete.evaluable && complete.ratio >= rule.drop_ratio) return DropVeto::kPartialDay;
  }
  const DayIndex last = rule.seasonal ? today - 1 : today;
  const std::array<int64_t, 13> weekly = WeeksEnding(days, last);
  // Over the 12 weeks the long trend reads, so one odd week moves it little.
  const double burst = LoginsPerActiveUserDay(days, last - 7 * kLongTrendWeeks + 1, last);
  if (!Significant(weekly, first_day, last, burst, rule)) return DropVeto::kSmallChange;
  if (!rule.seasonal) return DropVeto::kNone;
  // The account's own same-period history: where each of the weeks one,
  // two, three periods back (a period of 2-4 weeks, within the account's
  // history) ran below the 4 weeks before this one, this week is judged
  // against their mean instead. A dip recurring at the day level straddles
  // weeks, so the in-phase weeks need not be dips themselves, only the same
  // part of the cycle.
  const double baseline = static_cast<double>(weekly[1] + weekly[2] + weekly[3] + weekly[4]) / 4;
  for (int p = kMinDipPeriodWeeks; p <= kMaxDipPeriodWeeks; ++p) {
    double in_phase = 0;
    int count = 0;
    bool all_below = true;
    for (int k = p; k < static_cast<int>(weekly.size()); k += p) {
      if (!first_day || *first_day > last - 7 * k - 6) break;
      const auto week = static_cast<double>(weekly[static_cast<size_t>(k)]);
      all_below = all_below && week < baseline;
      in_phase += week;
      ++count;
    }
    if (count < 2 || !all_below) continue;
    const double expected = in_phase / count;
    const auto seen = static_cast<double>(weekly[0]);
    if (seen >= rule.drop_ratio * expected ||
        !BeyondNoise(seen, expected, 1.0 / count, 1, burst, rule)) {
      return DropVeto::kRecurringDip;
    }
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
  if (!(rule.min_weekly_change >= 0 && rule.noise_z >= 0)) {
    return absl::InvalidArgumentError("drop rule needs min_weekly_change, noise_z >= 0");
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
    case DropVeto::kPartialDay:
      return "partial_day";
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
  eval.veto = Veto(days, first_day, today, rule);
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
