// The usage-drop rule and alert episodes, on hand-computed login patterns.
#include <algorithm>
#include <functional>
#include <vector>

#include "cairn/engagement/alert_tracker.h"
#include "cairn/engagement/drop_rule.h"
#include "fixtures.h"
#include "gtest/gtest.h"

namespace cairn::engagement {
namespace {

using testing::At;
using testing::kNow;
using testing::kToday;

// Weekly totals: weeks[k] logins on the day before the last day of week k
// (week 0 ends today, week k ends today - 7k), so the week of complete days
// ending yesterday, which must confirm a drop, holds the same totals. Each
// login is a user's only one that day (`burst` 1, so the noise checks use a
// Poisson count's spread) unless `burst` says how many each active user made.
std::vector<AccountDay> Weeks(std::vector<int64_t> weeks, int64_t burst = 1) {
  std::vector<AccountDay> days;
  for (size_t k = weeks.size(); k-- > 0;) {
    days.push_back({kToday - 7 * static_cast<DayIndex>(k) - 1, weeks[k],
                    std::max<int64_t>(1, weeks[k] / burst)});
  }
  return days;
}

// The ratio rule alone (no size or seasonality checks): these tests pin the
// week-against-4-weeks arithmetic; SizeAwareRule below pins the defaults.
DropRule RatioRule() {
  DropRule rule;
  rule.min_weekly_change = 0;
  rule.noise_z = 0;
  rule.seasonal = false;
  return rule;
}

DropEvaluation Eval(std::vector<int64_t> weeks, absl::Time first_login = At(-60),
                    const DropRule& rule = RatioRule(), int64_t burst = 1) {
  auto eval = EvaluateDrop(Weeks(std::move(weeks), burst), first_login, kNow, rule);
  EXPECT_TRUE(eval.ok()) << eval.status();
  return *eval;
}

TEST(DropRuleTest, SteadyIsNone) {
  const DropEvaluation e = Eval({10, 10, 10, 10, 10, 10});
  EXPECT_EQ(e.state, DropState::kNone);
  EXPECT_TRUE(e.evaluable);
  EXPECT_EQ(e.this_week, 10);
  EXPECT_DOUBLE_EQ(e.baseline_mean, 10);
  EXPECT_DOUBLE_EQ(e.ratio, 1.0);
}

TEST(DropRuleTest, BelowSeventyFivePercentIsDrop) {
  const DropEvaluation e = Eval({7, 10, 10, 10, 10});
  EXPECT_EQ(e.state, DropState::kDrop);
  EXPECT_DOUBLE_EQ(e.ratio, 0.7);
  // Exactly 75% is not below: 6 / 8.
  EXPECT_EQ(Eval({6, 8, 8, 8, 8}).state, DropState::kNone);
}

TEST(DropRuleTest, SevereNeedsTwoWeeksRunningBelowHalf) {
  // Week 0: 4 / ((4+10+10+10)/4 = 8.5) = 0.47; week 1: 4 / 10 = 0.4.
  const DropEvaluation e = Eval({4, 4, 10, 10, 10, 10});
  EXPECT_EQ(e.state, DropState::kSevere);
  EXPECT_DOUBLE_EQ(e.baseline_mean, 8.5);
  // Only this week below half: drop.
  EXPECT_EQ(Eval({4, 10, 10, 10, 10, 10}).state, DropState::kDrop);
  // Week 1 below half but week 0 only below 75%: 6 / 8.5 = 0.71 -> drop.
  EXPECT_EQ(Eval({6, 4, 10, 10, 10, 10}).state, DropState::kDrop);
}

TEST(DropRuleTest, SmallBaselineNeverAlerts) {
  // Baseline mean 4 < 5 logins a week.
  const DropEvaluation e = Eval({0, 4, 4, 4, 4});
  EXPECT_EQ(e.state, DropState::kNone);
  EXPECT_FALSE(e.evaluable);
  EXPECT_DOUBLE_EQ(e.ratio, 0);
  // Exactly 5 is enough: 3 / 5 = 0.6.
  EXPECT_EQ(Eval({3, 5, 5, 5, 5}).state, DropState::kDrop);
}

TEST(DropRuleTest, SizeAwareByDefault) {
  // 3 / 6 = 0.5 but only 3 logins fewer than the baseline mean: noise for an
  // account this small (min_weekly_change 4; 2 spreads = 2 x sqrt(6 x 1.25)
  // = 5.5 logins).
  const DropEvaluation e = Eval({3, 6, 6, 6, 6}, At(-60), DropRule{});
  EXPECT_EQ(e.state, DropState::kNone);
  EXPECT_TRUE(e.evaluable);
  EXPECT_EQ(e.veto, DropVeto::kSmallChange);
  EXPECT_EQ(Eval({3, 6, 6, 6, 6}).state, DropState::kDrop);  // the ratio alone
  // 100 -> 60: 40 fewer, 2 spreads = 2 x sqrt(100 x 1.25) = 22.4: a drop
  // for a large account ...
  EXPECT_EQ(Eval({60, 100, 100, 100, 100}, At(-60), DropRule{}).state, DropState::kDrop);
  // ... but not where each active user-day brings 4 logins: 25 user-days a
  // week scatter like 25, not 100, so the spread doubles (44.7 > 40).
  EXPECT_EQ(Eval({60, 100, 100, 100, 100}, At(-60), DropRule{}, /*burst=*/4).veto,
            DropVeto::kSmallChange);
  // 20 -> 12: 8 fewer < 2 x sqrt(20 x 1.25) = 10 in one week ...
  EXPECT_EQ(Eval({12, 20, 20, 20, 20, 20}, At(-60), DropRule{}).veto, DropVeto::kSmallChange);
  // ... nor are two weeks at 13, 14 fewer against 2 x sqrt(40 x 1.5) = 15.5;
  // two weeks at 8, 24 fewer, are (both below half: severe).
  EXPECT_EQ(Eval({13, 13, 20, 20, 20, 20, 20}, At(-60), DropRule{}).veto, DropVeto::kSmallChange);
  EXPECT_EQ(Eval({8, 8, 20, 20, 20, 20, 20}, At(-60), DropRule{}).state, DropState::kSevere);
}

TEST(DropRuleTest, PartialTodayIsConfirmedOnCompleteDays) {
  // 100 a week on one day 3 days before each week's end; this week's day
  // is today (partly over) with 40: the week ending today is 40 / 100 but
  // the complete days ending yesterday hold last week's 100.
  std::vector<AccountDay> days;
  for (int k = 1; k <= 6; ++k) days.push_back({kToday - 7 * k, 100, 10});
  days.push_back({kToday, 40, 10});
  auto eval = EvaluateDrop(days, At(-60), kNow, DropRule{});
  ASSERT_TRUE(eval.ok());
  EXPECT_EQ(eval->state, DropState::kNone);
  EXPECT_EQ(eval->veto, DropVeto::kPartialDay);
}

TEST(DropRuleTest, RecurringDipIsJudgedAgainstEarlierDips) {
  // 12 complete weeks of 100 with a dip to 30 every 4 weeks (weeks 4, 8,
  // 12); this week dips to 28 again: no drop. A dip to 5 is one.
  const auto book = [](int64_t now_week) {
    std::vector<int64_t> weeks = {now_week};
    for (int k = 1; k <= 13; ++k) weeks.push_back(k % 4 == 0 ? 30 : 100);
    return weeks;
  };
  const DropEvaluation seasonal = Eval(book(28), At(-120), DropRule{});
  EXPECT_EQ(seasonal.state, DropState::kNone);
  EXPECT_EQ(seasonal.veto, DropVeto::kRecurringDip);
  EXPECT_EQ(Eval(book(5), At(-120), DropRule{}).state, DropState::kDrop);
  // Without the dips in its history the same week is a drop.
  EXPECT_EQ(Eval({28, 100, 100, 100, 100, 100}, At(-120), DropRule{}).state, DropState::kDrop);
}

TEST(DropRuleTest, ADipStraddlingWeeksIsJudgedAgainstTheSamePartOfEarlierCycles) {
  // A week-long dip every 3 weeks, at the day level: it straddles weeks, so
  // the weeks run mid, high, low and none of them is a dip against the
  // typical week. This week (mid again, the dip beginning) is 72% of the 4
  // weeks before it, but no lower than the same part of the last cycles.
  const std::vector<int64_t> weeks = {139, 216, 142, 166, 246, 139, 190,
                                      213, 115, 163, 241, 137, 170};
  const DropEvaluation seasonal = Eval(weeks, At(-120), DropRule{});
  EXPECT_LT(seasonal.ratio, 0.75);
  EXPECT_EQ(seasonal.state, DropState::kNone);
  EXPECT_EQ(seasonal.veto, DropVeto::kRecurringDip);
  // The same week in a history without the cycle is a drop.
  std::vector<int64_t> level(13, 200);
  level[0] = 139;
  EXPECT_EQ(Eval(level, At(-120), DropRule{}).state, DropState::kDrop);
}

TEST(DropRuleTest, NewAccountNeverAlerts) {
  // First login on day -30: the baseline [-34, -7] is not all history.
  const DropEvaluation e = Eval({0, 20, 20, 20, 20}, At(-30));
  EXPECT_EQ(e.state, DropState::kNone);
  EXPECT_FALSE(e.evaluable);
  auto none = EvaluateDrop(Weeks({0, 20}), std::nullopt, kNow, DropRule{});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->evaluable);
}

TEST(DropRuleTest, BadRuleIsRefused) {
  DropRule rule;
  rule.severe_ratio = 0.8;  // above drop_ratio
  EXPECT_EQ(EvaluateDrop(Weeks({1}), At(-60), kNow, rule).status().code(),
            absl::StatusCode::kInvalidArgument);
  rule = DropRule{};
  rule.severe_weeks = 0;
  EXPECT_EQ(ValidateDropRule(rule).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateDropRule(DropRule{}).ok());
}

// Simulates an account whose first login is on day 0 (at 08:00) and which
// logs in `logins(d)` times on day d; evaluates every `step` from day
// `from` to day `to` (inclusive) and records the actions.
struct Actions {
  int opens = 0;
  int escalations = 0;
  int closes = 0;
  std::vector<int> open_days;
  std::vector<int> escalate_days;
  std::vector<int> close_days;
};

Actions Simulate(const std::function<int64_t(int)>& logins, int from, int to, absl::Duration step,
                 AlertTracker& tracker, const DropRule& rule = RatioRule()) {
  const absl::Time origin = absl::UnixEpoch() + absl::Hours(24) * kToday;  // day 0
  std::vector<AccountDay> days;
  for (int d = 0; d <= to; ++d) {
    if (logins(d) > 0) days.push_back({kToday + d, logins(d), 1});
  }
  Actions run;
  for (absl::Time t = origin + absl::Hours(24) * from; t < origin + absl::Hours(24) * (to + 1);
       t += step) {
    const int day = static_cast<int>(DayOf(t) - kToday);
    // Only days up to today are in the store at time t.
    std::vector<AccountDay> seen;
    for (const AccountDay& d : days) {
      if (d.day <= DayOf(t)) seen.push_back(d);
    }
    auto eval = EvaluateDrop(seen, origin + absl::Hours(8), t, rule);
    EXPECT_TRUE(eval.ok());
    switch (tracker.Observe(*eval, t)) {
      case AlertAction::kOpen:
        ++run.opens;
        run.open_days.push_back(day);
        break;
      case AlertAction::kEscalate:
        ++run.escalations;
        run.escalate_days.push_back(day);
        break;
      case AlertAction::kClose:
        ++run.closes;
        run.close_days.push_back(day);
        break;
      case AlertAction::kNone:
        break;
    }
  }
  return run;
}

TEST(AlertTrackerTest, SteadyAccountNeverAlerts) {
  AlertTracker tracker;
  const Actions run = Simulate([](int) { return 2; }, 35, 56, absl::Hours(1), tracker);
  EXPECT_EQ(run.opens, 0);
  EXPECT_EQ(run.escalations, 0);
  EXPECT_EQ(run.closes, 0);
}

TEST(AlertTrackerTest, DroppingAccountAlertsOnceOverEightWeeks) {
  // 2 logins a day on days 0..34, none after. Evaluated every hour.
  // Day 36: week [30, 36] = 5 days x 2 = 10, baseline [2, 29] = 56 -> mean
  // 14, ratio 0.71: drop (day 35: 12 / 14 = 0.86, none).
  // Day 45: week [39, 45] = 0 < half of 12 (baseline [11, 38] = 48), and
  // week [32, 38] = 6 < half of 14: severe, escalated without a new alert.
  // Through day 56 the baseline mean stays >= 5 ((69 - d) / 2 = 6.5).
  AlertTracker tracker;
  const Actions run =
      Simulate([](int d) { return d <= 34 ? 2 : 0; }, 35, 56, absl::Hours(1), tracker);
  EXPECT_EQ(run.opens, 1);
  EXPECT_EQ(run.open_days, std::vector<int>{36});
  EXPECT_EQ(run.escalate_days, std::vector<int>{45});
  EXPECT_EQ(run.closes, 0);
  EXPECT_TRUE(tracker.episode().open);
  EXPECT_EQ(tracker.episode().severity, DropState::kSevere);
  EXPECT_EQ(tracker.episode().episodes, 1);
}

TEST(AlertTrackerTest, SmallAccountAlertsOnceTheFallIsBeyondNoise) {
  // The account above (14 logins a week, none from day 35) under the
  // default rule: its fall is within the noise of a count this small until
  // the complete week ending yesterday has lost 2 spreads (2 x sqrt(2 x 14 x
  // 1.25) = 11.8 logins; 2 logins per active user-day): day 41 (week
  // [34, 40] = 2, 12 fewer), not day 36.
  AlertTracker tracker;
  const Actions run =
      Simulate([](int d) { return d <= 34 ? 2 : 0; }, 35, 56, absl::Hours(1), tracker, DropRule{});
  EXPECT_EQ(run.open_days, std::vector<int>{41});
  EXPECT_EQ(run.closes, 0);
  EXPECT_EQ(tracker.episode().episodes, 1);
}

TEST(AlertTrackerTest, RecoveryThenNewDropAlertsAgain) {
  // 2 a day, none on days 35..41, 2 a day from 42, none from 100.
  // Opens on day 36 as above. Day d in 42..48: week = 2 (d - 41), baseline
  // mean (69 - d) / 2, ratio 4 (d - 41) / (69 - d): day 45 16/24 = 0.67,
  // day 46 20/23 = 0.87 >= 0.75: closes on day 46. From day 100: week
  // [94, 100] = 12 / 14 = 0.86, day 101: 10 / 14 = 0.71: opens again.
  // Day 110: week [104, 110] = 0 and week [97, 103] = 6 < half of 14:
  // severe (day 109: week [96, 102] = 8 / 14 = 0.57, not yet). The first
  // episode never was: day 44's week 6 / 12.5 was below half but the week
  // before (8 / 14) was not; day 45's week was 8 / 12 = 0.67.
  AlertTracker tracker;
  const Actions run = Simulate([](int d) { return (d >= 35 && d <= 41) || d >= 100 ? 0 : 2; }, 35,
                               110, absl::Hours(6), tracker);
  EXPECT_EQ(run.open_days, (std::vector<int>{36, 101}));
  EXPECT_EQ(run.close_days, std::vector<int>{46});
  EXPECT_EQ(run.escalate_days, std::vector<int>{110});
  EXPECT_EQ(tracker.episode().episodes, 2);
}

TEST(AlertTrackerTest, UnevaluableWeekNeitherOpensNorCloses) {
  AlertTracker tracker;
  DropEvaluation drop;
  drop.state = DropState::kDrop;
  drop.evaluable = true;
  EXPECT_EQ(tracker.Observe(drop, kNow), AlertAction::kOpen);
  EXPECT_EQ(tracker.Observe(drop, kNow + absl::Hours(1)), AlertAction::kNone);
  const DropEvaluation unknown;  // state none, not evaluable
  EXPECT_EQ(tracker.Observe(unknown, kNow + absl::Hours(2)), AlertAction::kNone);
  EXPECT_TRUE(tracker.episode().open);
  // Resumed from the persisted state, a recovered week closes the episode.
  AlertTracker resumed(tracker.episode());
  DropEvaluation recovered;
  recovered.evaluable = true;
  EXPECT_EQ(resumed.Observe(recovered, kNow + absl::Hours(3)), AlertAction::kClose);
  EXPECT_FALSE(resumed.episode().open);
  EXPECT_EQ(resumed.episode().closed_at, kNow + absl::Hours(3));
  EXPECT_EQ(resumed.episode().opened_at, kNow);
  // A fresh tracker with no episode ignores a non-evaluable week too.
  AlertTracker fresh;
  EXPECT_EQ(fresh.Observe(unknown, kNow), AlertAction::kNone);
}

TEST(AlertTrackerTest, SevereFromTheStartOpensOnceAsSevere) {
  AlertTracker tracker;
  DropEvaluation severe;
  severe.state = DropState::kSevere;
  severe.evaluable = true;
  EXPECT_EQ(tracker.Observe(severe, kNow), AlertAction::kOpen);
  EXPECT_EQ(tracker.episode().severity, DropState::kSevere);
  EXPECT_EQ(tracker.Observe(severe, kNow + absl::Hours(1)), AlertAction::kNone);
  DropEvaluation drop = severe;
  drop.state = DropState::kDrop;
  EXPECT_EQ(tracker.Observe(drop, kNow + absl::Hours(2)), AlertAction::kNone);
  EXPECT_EQ(tracker.episode().severity, DropState::kSevere);  // the worst seen
}

}  // namespace
}  // namespace cairn::engagement
