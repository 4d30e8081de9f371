// ComputeEngagement end to end from folded events: the edge cases of the
// issue (new account, no seats, clock-skewed events, erased users,
// withdrawn consent) on one hand-computed fixture.
#include "cairn/engagement/engagement.h"

#include "cairn/engagement/aggregator.h"
#include "fixtures.h"
#include "gtest/gtest.h"

namespace cairn::engagement {
namespace {

using testing::At;
using testing::kNow;

Event Login(std::string_view user, absl::Time at, bool consented = true) {
  return Event{"acme", user, EventKind::kLogin, {}, std::nullopt, at, consented};
}

// ann: logins on days -40, -20 and each of -9..0 (10 days); bob: -3 and -50;
// cid: -1 only. Milestone quote_sent by bob on day -30 at 10:00.
Aggregator Fixture() {
  Aggregator agg;
  auto fold = [&](const Event& e) { ASSERT_TRUE(agg.Fold(e).ok()); };
  fold(Login("ann", At(-40, 9)));
  fold(Login("ann", At(-20)));
  for (int d = -9; d <= 0; ++d) fold(Login("ann", At(d)));
  fold(Login("bob", At(-3)));
  fold(Login("bob", At(-50)));
  fold(Login("cid", At(-1)));
  fold(Event{"acme", "bob", EventKind::kMilestone, "quote_sent", std::nullopt, At(-30), true});
  return agg;
}

const AccountConfig kConfig{.seats = std::nullopt, .key_milestones = {"quote_sent"}};

TEST(EngagementTest, HandComputedAccount) {
  const Engagement e = ComputeEngagement(Fixture().Snapshot("acme", kConfig, kNow), kNow);
  // Login days in [-13, 0]: -9..0 = 10 -> daily.
  EXPECT_EQ(e.login_days_14, 10);
  EXPECT_EQ(e.frequency_band, FrequencyBand::kDaily);
  // This week [-6, 0]: ann 7 + bob 1 + cid 1 = 9. Baseline [-34, -7]:
  // ann -20, -9, -8, -7 = 4 -> mean 1. Ratio 9.
  EXPECT_EQ(e.trend.status, TrendStatus::kMeasured);
  EXPECT_EQ(e.trend.this_week, 9);
  EXPECT_DOUBLE_EQ(e.trend.baseline_mean, 1.0);
  // Breadth, no seats: 3 active now; peak 3 -> 1.
  EXPECT_EQ(e.breadth.basis, BreadthBasis::kPeak);
  EXPECT_EQ(e.breadth.active_users, 3);
  EXPECT_EQ(e.breadth.denominator, 3);
  // Time to value from the account's first login (bob, day -50 at 10:00)
  // to day -30 at 10:00: 20 days.
  EXPECT_EQ(e.milestones.key[0].time_to_value, absl::Hours(24 * 20));
  // Scores: frequency 10 -> 0.92, trend 1, breadth 1, ttv 20 d -> 1 - 0.4 *
  // 13 / 23 = 0.773913...; 27.6 + 20 + 30 + 15.478 = 93.08 -> 93.
  EXPECT_EQ(e.health.score, 93);
  EXPECT_EQ(e.health.band, Label::kGood);
}

TEST(EngagementTest, FutureDatedRowsAreIgnored) {
  Aggregator agg = Fixture();
  // A device clock still ahead after skew correction: day +1 and +2.
  ASSERT_TRUE(agg.Fold(Login("dan", At(1))).ok());
  ASSERT_TRUE(agg.Fold(Login("ann", At(2))).ok());
  const AccountInput input = agg.Snapshot("acme", kConfig, kNow);
  EXPECT_EQ(input.first_logins.size(), 4u);  // dan's first login is in the future
  const Engagement e = ComputeEngagement(input, kNow);
  EXPECT_EQ(e.trend.this_week, 9);
  EXPECT_EQ(e.breadth.active_users, 3);
  EXPECT_EQ(e.health.score, 93);
}

TEST(EngagementTest, ErasedUserNoLongerCounts) {
  Aggregator agg = Fixture();
  ASSERT_EQ(agg.RemoveUser("bob"), 1);
  const Engagement e = ComputeEngagement(agg.Snapshot("acme", kConfig, kNow), kNow);
  // bob's login and his milestone are gone; the first login is ann's (-40).
  EXPECT_EQ(e.trend.this_week, 8);
  EXPECT_EQ(e.breadth.active_users, 2);
  EXPECT_EQ(e.milestones.account_first_login, At(-40, 9));
  EXPECT_EQ(e.milestones.key_reached, 0);
  // The key milestone is unreached 40 days + 3 h after the first login:
  // TimeToValueScore(40.125 d) = 0.6 - 0.3 * 10.125 / 60 = 0.549375 (watch).
  EXPECT_EQ(e.health.time_to_value.label, Label::kWatch);
  EXPECT_NEAR(e.health.time_to_value.score, 0.549375, 1e-12);
}

TEST(EngagementTest, WithdrawnConsentRemovesAndStopsCounting) {
  Aggregator agg = Fixture();
  ASSERT_EQ(agg.RemovePurpose("ann", consent::Purpose::kUsageAnalytics), 1);
  // After withdrawal the collector marks ann's logins unconsented.
  ASSERT_TRUE(agg.Fold(Login("ann", At(0, 11), /*consented=*/false)).ok());
  const Engagement e = ComputeEngagement(agg.Snapshot("acme", kConfig, kNow), kNow);
  // Left: bob -50, -3 and cid -1. Login days in 14: 2 -> occasional.
  EXPECT_EQ(e.login_days_14, 2);
  EXPECT_EQ(e.frequency_band, FrequencyBand::kOccasional);
  // Baseline [-34, -7] now empty: no trend.
  EXPECT_EQ(e.trend.status, TrendStatus::kNoBaseline);
  EXPECT_EQ(e.breadth.active_users, 2);
}

TEST(EngagementTest, NewAccountWithSeats) {
  Aggregator agg;
  ASSERT_TRUE(agg.Fold(Login("ann", At(-10))).ok());
  ASSERT_TRUE(agg.Fold(Login("ann", At(-2))).ok());
  const Engagement e =
      ComputeEngagement(agg.Snapshot("acme", {.seats = 5, .key_milestones = {}}, kNow), kNow);
  EXPECT_EQ(e.trend.status, TrendStatus::kNewAccount);
  EXPECT_FALSE(e.health.trend.applicable);
  EXPECT_EQ(e.breadth.basis, BreadthBasis::kSeats);
  // Frequency 2 days -> 0.3 (watch); breadth 1/5 = 0.2 -> 0.3 (watch):
  // (9 + 9) / 60 = 0.3 -> 30, poor by score.
  EXPECT_EQ(e.health.score, 30);
  EXPECT_EQ(e.health.band, Label::kPoor);
  EXPECT_FALSE(e.health.capped);
}

TEST(EngagementTest, UnknownAccountIsInactiveAndPoor) {
  const Engagement e = ComputeEngagement(Aggregator().Snapshot("nobody", {}, kNow), kNow);
  EXPECT_EQ(e.account_id, "nobody");
  EXPECT_EQ(e.frequency_band, FrequencyBand::kInactive);
  EXPECT_EQ(e.health.score, 0);
  EXPECT_EQ(e.health.band, Label::kPoor);
}

}  // namespace
}  // namespace cairn::engagement
