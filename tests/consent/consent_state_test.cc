#include "cairn/consent/consent_state.h"

#include "gtest/gtest.h"

namespace cairn::consent {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1790000000);

ConsentRecord Record(std::string user, Purpose purpose, Decision decision, absl::Time at,
                     std::string version = "v1") {
  ConsentRecord r;
  r.subject = std::move(user);
  r.purpose = purpose;
  r.decision = decision;
  r.policy_version = std::move(version);
  r.device_time = at;
  return r;
}

TEST(ConsentState, DefaultIsDenyForEveryConsentablePurpose) {
  ConsentState state;
  for (Purpose p : kConsentablePurposes) {
    EXPECT_EQ(state.DecisionAt("u", p, kT0), Decision::kUnknown);
    EXPECT_FALSE(state.Allows("u", p, kT0));
  }
  EXPECT_TRUE(state.Allows("u", Purpose::kConsentRecord, kT0));
}

TEST(ConsentState, GrantAndWithdrawArePerUserAndPurpose) {
  ConsentState state;
  ASSERT_TRUE(state.Apply(Record("alice", Purpose::kMilestones, Decision::kGranted, kT0)).ok());
  EXPECT_TRUE(state.Allows("alice", Purpose::kMilestones, kT0));
  EXPECT_FALSE(state.Allows("alice", Purpose::kUsageAnalytics, kT0));
  EXPECT_FALSE(state.Allows("bob", Purpose::kMilestones, kT0));
  ASSERT_TRUE(state.Apply(Record("alice", Purpose::kMilestones, Decision::kDenied,
                                 kT0 + absl::Seconds(1), "v2"))
                  .ok());
  EXPECT_FALSE(state.Allows("alice", Purpose::kMilestones, kT0 + absl::Seconds(2)));
  EXPECT_EQ(state.Get("alice", Purpose::kMilestones).policy_version, "v2");
}

TEST(ConsentState, AnOlderRecordNeverOverridesANewerOne) {
  ConsentState state;
  ASSERT_TRUE(state.Apply(Record("a", Purpose::kMilestones, Decision::kDenied, kT0)).ok());
  ASSERT_TRUE(state.Apply(Record("a", Purpose::kMilestones, Decision::kGranted,
                                 kT0 - absl::Hours(1)))
                  .ok());
  EXPECT_EQ(state.DecisionAt("a", Purpose::kMilestones, kT0), Decision::kDenied);
}

TEST(ConsentState, ExpiredGrantReadsAsUnknown) {
  ConsentState state;
  ConsentRecord r = Record("a", Purpose::kUsageAnalytics, Decision::kGranted, kT0);
  r.expires_at = kT0 + absl::Hours(24);
  ASSERT_TRUE(state.Apply(r).ok());
  EXPECT_TRUE(state.Allows("a", Purpose::kUsageAnalytics, kT0 + absl::Hours(23)));
  EXPECT_FALSE(state.Allows("a", Purpose::kUsageAnalytics, kT0 + absl::Hours(24)));
}

TEST(ConsentState, InvalidRecordsChangeNothing) {
  ConsentState state;
  EXPECT_FALSE(state.Apply(Record("a", Purpose::kMilestones, Decision::kGranted, kT0, "")).ok());
  EXPECT_FALSE(state.Apply(Record("", Purpose::kMilestones, Decision::kGranted, kT0)).ok());
  EXPECT_FALSE(state.Apply(Record("a", Purpose::kMilestones, Decision::kUnknown, kT0)).ok());
  EXPECT_FALSE(state.Apply(Record("a", Purpose::kConsentRecord, Decision::kGranted, kT0)).ok());
  EXPECT_EQ(state.DecisionAt("a", Purpose::kMilestones, kT0), Decision::kUnknown);
}

TEST(ConsentState, ForgetRemovesOneUserOnly) {
  ConsentState state;
  ASSERT_TRUE(state.Apply(Record("a", Purpose::kMilestones, Decision::kGranted, kT0)).ok());
  ASSERT_TRUE(state.Apply(Record("b", Purpose::kMilestones, Decision::kGranted, kT0)).ok());
  state.Forget("a");
  EXPECT_FALSE(state.Allows("a", Purpose::kMilestones, kT0));
  EXPECT_TRUE(state.Allows("b", Purpose::kMilestones, kT0));
}

TEST(Purpose, NamesAndWireValuesRoundTrip) {
  for (Purpose p : {Purpose::kUsageAnalytics, Purpose::kMilestones,
                    Purpose::kRenewalNotifications, Purpose::kConsentRecord}) {
    EXPECT_EQ(PurposeFromName(PurposeName(p)), p);
    EXPECT_EQ(FromWire(ToWire(p)), p);
  }
  EXPECT_EQ(PurposeFromName("ads"), std::nullopt);
  EXPECT_EQ(FromWire(cairn::v1::PURPOSE_UNSPECIFIED), std::nullopt);
  EXPECT_EQ(FromWire(42), std::nullopt);
}

}  // namespace
}  // namespace cairn::consent
