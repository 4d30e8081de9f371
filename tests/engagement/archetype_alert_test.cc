// Precision and recall of usage alerts on a labelled synthetic book
// (archetype_book.h): every account is evaluated three times a day over the
// last four weeks of its history through the functions AlertEvaluator runs
// (RollUpDays, AccountFirstLogin, EvaluateUsage, AlertTracker). Drops and
// declines must raise an alert of their kind or a stronger one; healthy
// archetypes must stay quiet. Prints the confusion table (docs/metrics.md).
#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <string>

#include "archetype_book.h"
#include "cairn/engagement/alert_tracker.h"
#include "cairn/engagement/drop_rule.h"
#include "fixtures.h"
#include "gtest/gtest.h"

namespace cairn::engagement {
namespace {

using testing::Archetype;
using testing::BookAccount;
using testing::kBookDays;

// Book day kBookDays - 1 is the fixtures' today.
constexpr DayIndex kOrigin = testing::kToday - (kBookDays - 1);
constexpr int kFirstEvaluationDay = kBookDays - 29;
constexpr std::array<int, 3> kEvaluationHours = {5, 13, 21};

struct Outcome {
  DropState any_alert = DropState::kNone;    // strongest state alerted in the window
  DropState after_event = DropState::kNone;  // ... opened or escalated on/after event_day
};

// The rule as it was before the 12-week trend and the size and seasonality
// checks: week against 4 weeks only.
DropRule OldRule() {
  DropRule rule;
  rule.min_weekly_change = 0;
  rule.noise_z = 0;
  rule.seasonal = false;
  return rule;
}

Outcome Simulate(const BookAccount& account, const DropRule& rule, bool old_rule) {
  AlertTracker tracker;
  Outcome out;
  std::vector<UserDayLogins> rows;
  for (int day = kFirstEvaluationDay; day < kBookDays; ++day) {
    if (day < account.first_day) continue;
    testing::FullDayRows(account, kOrigin, kOrigin + day, rows);
    const size_t full_days = rows.size();
    for (int hour : kEvaluationHours) {
      const absl::Time now = StartOfDay(kOrigin + day) + absl::Hours(hour) + absl::Minutes(30);
      rows.resize(full_days);
      testing::AppendTodayRows(account, kOrigin, now, rows);
      const DayIndex today = DayOf(now);
      const std::vector<AccountDay> days = RollUpDays(rows, today - kHistoryDays + 1, today);
      const std::vector<UserFirstLogin> firsts = {
          {"u0", StartOfDay(kOrigin + account.first_day) + absl::Hours(9)}};
      const std::optional<absl::Time> first = AccountFirstLogin(firsts, now);
      absl::StatusOr<DropEvaluation> eval =
          old_rule ? EvaluateDrop(days, first, now, rule) : EvaluateUsage(days, first, now, rule);
      EXPECT_TRUE(eval.ok()) << eval.status();
      if (!eval.ok()) return out;
      const AlertAction action = tracker.Observe(*eval, now);
      if (action != AlertAction::kOpen && action != AlertAction::kEscalate) continue;
      const DropState severity = tracker.episode().severity;
      if (DropStateRank(severity) > DropStateRank(out.any_alert)) out.any_alert = severity;
      if (day >= account.event_day && DropStateRank(severity) > DropStateRank(out.after_event)) {
        out.after_event = severity;
      }
    }
  }
  return out;
}

struct Figures {
  double decline_recall = 0;
  double drop_recall = 0;
  double false_rate = 0;
  double small_false_rate = 0;  // healthy accounts of 2-5 users
  // The counts behind the rates, so books can be pooled.
  std::array<int, 2> labelled = {0, 0};  // declines, drops
  std::array<int, 2> caught = {0, 0};
  int healthy = 0;
  int false_alerts = 0;
};

// Runs the book, prints the confusion table (unless `quiet`) and returns the figures.
Figures Measure(const std::vector<BookAccount>& book, const DropRule& rule, bool old_rule,
                bool quiet = false) {
  // confusion[archetype][strongest alert: none, declining, drop, severe]
  std::array<std::array<int, 4>, testing::kArchetypes> confusion{};
  std::map<int, std::array<int, 2>> healthy_by_size;  // users -> {accounts, alerted}
  std::array<int, 2> labelled = {0, 0};               // declines, drops
  std::array<int, 2> caught = {0, 0};
  int healthy = 0;
  int false_alerts = 0;
  int small = 0;
  int small_false = 0;
  for (const BookAccount& account : book) {
    const Outcome outcome = Simulate(account, rule, old_rule);
    const DropState required = testing::RequiredAlert(account.archetype);
    ++confusion[static_cast<size_t>(account.archetype)]
               [static_cast<size_t>(DropStateRank(outcome.any_alert))];
    if (required == DropState::kNone) {
      const bool alerted = outcome.any_alert != DropState::kNone;
      ++healthy;
      ++healthy_by_size[account.users][0];
      false_alerts += alerted ? 1 : 0;
      healthy_by_size[account.users][1] += alerted ? 1 : 0;
      small += account.users <= 5 ? 1 : 0;
      small_false += account.users <= 5 && alerted ? 1 : 0;
      continue;
    }
    const size_t k = required == DropState::kDeclining ? 0 : 1;
    ++labelled[k];
    if (DropStateRank(outcome.after_event) >= DropStateRank(required)) ++caught[k];
  }
  if (!quiet) {
    std::printf("%s rule\n%-14s %6s %9s %6s %6s\n", old_rule ? "old" : "new", "archetype", "none",
                "declining", "drop", "severe");
    for (int t = 0; t < testing::kArchetypes; ++t) {
      const auto& row = confusion[static_cast<size_t>(t)];
      std::printf("%-14s %6d %9d %6d %6d\n",
                  std::string(ArchetypeName(static_cast<Archetype>(t))).c_str(), row[0], row[1],
                  row[2], row[3]);
    }
    for (const auto& [users, counts] : healthy_by_size) {
      std::printf("healthy, %3d users: %d of %d alerted\n", users, counts[1], counts[0]);
    }
  }
  Figures f;
  f.labelled = labelled;
  f.caught = caught;
  f.healthy = healthy;
  f.false_alerts = false_alerts;
  f.decline_recall = static_cast<double>(caught[0]) / labelled[0];
  f.drop_recall = static_cast<double>(caught[1]) / labelled[1];
  f.false_rate = static_cast<double>(false_alerts) / healthy;
  f.small_false_rate = static_cast<double>(small_false) / small;
  std::printf(
      "recall: declines %d/%d = %.3f, drops %d/%d = %.3f; false alerts %d/%d = %.3f "
      "(2-5 users: %d/%d = %.3f)\n",
      caught[0], labelled[0], f.decline_recall, caught[1], labelled[1], f.drop_recall, false_alerts,
      healthy, f.false_rate, small_false, small, f.small_false_rate);
  return f;
}

TEST(ArchetypeAlertTest, RecallAndFalseAlertsOnTheLabelledBook) {
  ASSERT_EQ((kOrigin + 3) % 7, 4);  // book day 0 is a Friday, as MakeBook assumes
  const std::vector<BookAccount> book = testing::MakeBook(/*seed=*/20260320, /*per_size=*/8);
  ASSERT_EQ(book.size(), 448u);
  const Figures old_figures = Measure(book, OldRule(), /*old_rule=*/true);
  const Figures figures = Measure(book, DropRule{}, /*old_rule=*/false);
  // The targets: recall of 95% for drops and declines, false alerts on at
  // most 2% of the healthy accounts.
  EXPECT_GE(figures.decline_recall, 0.95);
  EXPECT_GE(figures.drop_recall, 0.95);
  EXPECT_LE(figures.false_rate, 0.02);
  EXPECT_LT(figures.false_rate, old_figures.false_rate / 3);
}

// One seed is one sample of the noise: the same rule on eight books
// (3,584 accounts) shows how much of the figures above is luck. Slow (about
// ten seconds), so run by hand:
//   engagement_archetype_tests --gtest_also_run_disabled_tests
//     --gtest_filter='*EightBooks*'
// The bounds are those measured (docs/metrics.md), so a change that trades
// recall for false alerts, or the other way, shows here.
TEST(ArchetypeAlertTest, DISABLED_EightBooksPooled) {
  Figures pooled;
  for (uint64_t seed : {20260320u, 1u, 2u, 3u, 4u, 5u, 6u, 7u}) {
    const Figures f = Measure(testing::MakeBook(seed, /*per_size=*/8), DropRule{},
                              /*old_rule=*/false, /*quiet=*/true);
    for (size_t k = 0; k < 2; ++k) {
      pooled.labelled[k] += f.labelled[k];
      pooled.caught[k] += f.caught[k];
    }
    pooled.healthy += f.healthy;
    pooled.false_alerts += f.false_alerts;
  }
  const auto rate = [](int n, int d) { return static_cast<double>(n) / d; };
  std::printf("eight books: declines %d/%d = %.3f, drops %d/%d = %.3f, false alerts %d/%d = %.4f\n",
              pooled.caught[0], pooled.labelled[0], rate(pooled.caught[0], pooled.labelled[0]),
              pooled.caught[1], pooled.labelled[1], rate(pooled.caught[1], pooled.labelled[1]),
              pooled.false_alerts, pooled.healthy, rate(pooled.false_alerts, pooled.healthy));
  EXPECT_GE(rate(pooled.caught[0], pooled.labelled[0]), 0.89);
  EXPECT_GE(rate(pooled.caught[1], pooled.labelled[1]), 0.98);
  EXPECT_LE(rate(pooled.false_alerts, pooled.healthy), 0.021);
}

}  // namespace
}  // namespace cairn::engagement
