#include "cairn/engagement/goals.h"

#include <vector>

#include "fixtures.h"
#include "gtest/gtest.h"

namespace cairn::engagement {
namespace {

using testing::kToday;

// Goal: 10 invoice_sent from day S to day S + 9 (10 days). S = kToday.
constexpr DayIndex kStart = kToday;

Goal TenInvoices() { return Goal{"acme", "10 invoices", "invoice_sent", 10, kStart, kStart + 9}; }

// Noon on day S + offset.
absl::Time OnDay(int offset) {
  return absl::UnixEpoch() + absl::Hours(24) * (kStart + offset) + absl::Hours(12);
}

std::vector<UserMilestoneDay> Rows() {
  return {
      {"ann", "invoice_sent", kStart - 1, 5, 0},  // before start: not counted
      {"ann", "invoice_sent", kStart, 2, 0},
      {"bob", "invoice_sent", kStart + 3, 1, 7.5},  // each event counts 1
      {"ann", "quote_sent", kStart + 1, 9, 0},      // another milestone
      {"bob", "invoice_sent", kStart + 12, 4, 0},   // after due: never counted
  };
}

GoalProgress Progress(const Goal& goal, const std::vector<UserMilestoneDay>& rows, int day) {
  auto progress = EvaluateGoal(goal, rows, OnDay(day));
  EXPECT_TRUE(progress.ok()) << progress.status();
  return *progress;
}

TEST(GoalsTest, OnTrackWhileAtOrAbovePace) {
  // Day S+2: count 2, pace 10 x 2 / 10 = 2.
  const GoalProgress p = Progress(TenInvoices(), Rows(), 2);
  EXPECT_EQ(p.count, 2);
  EXPECT_DOUBLE_EQ(p.expected, 2.0);
  EXPECT_DOUBLE_EQ(p.fraction, 0.2);
  EXPECT_EQ(p.status, GoalStatus::kOnTrack);
}

TEST(GoalsTest, AtRiskBelowPace) {
  // Day S+4: count 3, pace 10 x 4 / 10 = 4.
  const GoalProgress p = Progress(TenInvoices(), Rows(), 4);
  EXPECT_EQ(p.count, 3);
  EXPECT_DOUBLE_EQ(p.expected, 4.0);
  EXPECT_EQ(p.status, GoalStatus::kAtRisk);
}

TEST(GoalsTest, MissedAfterDueAndLateEventsDoNotCount) {
  // Day S+10 and S+13: 3 counted; the 4 on day S+12 are after due.
  EXPECT_EQ(Progress(TenInvoices(), Rows(), 10).status, GoalStatus::kMissed);
  const GoalProgress late = Progress(TenInvoices(), Rows(), 13);
  EXPECT_EQ(late.count, 3);
  EXPECT_DOUBLE_EQ(late.expected, 10.0);
  EXPECT_EQ(late.status, GoalStatus::kMissed);
  // The due day itself still counts and is not yet missed.
  std::vector<UserMilestoneDay> rows = Rows();
  rows.push_back({"ann", "invoice_sent", kStart + 9, 1, 0});
  const GoalProgress due_day = Progress(TenInvoices(), rows, 9);
  EXPECT_EQ(due_day.count, 4);
  EXPECT_EQ(due_day.status, GoalStatus::kAtRisk);  // pace 9
}

TEST(GoalsTest, AchievedStaysAchieved) {
  std::vector<UserMilestoneDay> rows = Rows();
  rows.push_back({"cid", "invoice_sent", kStart + 5, 7, 0});
  const GoalProgress p = Progress(TenInvoices(), rows, 6);
  EXPECT_EQ(p.count, 10);
  EXPECT_DOUBLE_EQ(p.fraction, 1.0);
  EXPECT_EQ(p.status, GoalStatus::kAchieved);
  EXPECT_EQ(Progress(TenInvoices(), rows, 30).status, GoalStatus::kAchieved);
}

TEST(GoalsTest, OpenEndedGoalIsOnTrackUntilAchieved) {
  Goal goal = TenInvoices();
  goal.due.reset();
  const GoalProgress p = Progress(goal, Rows(), 30);
  EXPECT_EQ(p.count, 7);  // 2 + 1 + 4: no due, so day S+12 counts
  EXPECT_DOUBLE_EQ(p.expected, 0);
  EXPECT_EQ(p.status, GoalStatus::kOnTrack);
}

TEST(GoalsTest, NotStartedYet) {
  const GoalProgress p = Progress(TenInvoices(), Rows(), -1);
  EXPECT_EQ(p.count, 0);
  EXPECT_DOUBLE_EQ(p.expected, 0);
  EXPECT_EQ(p.status, GoalStatus::kOnTrack);
}

TEST(GoalsTest, InvalidGoalsAreRefused) {
  Goal goal = TenInvoices();
  goal.target_count = 0;
  EXPECT_EQ(EvaluateGoal(goal, Rows(), OnDay(0)).status().code(),
            absl::StatusCode::kInvalidArgument);
  goal = TenInvoices();
  goal.due = kStart - 1;
  EXPECT_EQ(ValidateGoal(goal).code(), absl::StatusCode::kInvalidArgument);
  goal = TenInvoices();
  goal.milestone_name.clear();
  EXPECT_EQ(ValidateGoal(goal).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateGoal(TenInvoices()).ok());
  EXPECT_EQ(GoalStatusName(GoalStatus::kAtRisk), "at_risk");
}

}  // namespace
}  // namespace cairn::engagement
