#include "cairn/consent/consent_state.h"

#include <algorithm>
#include <string>
#include <vector>

#include "cairn/common/proto_time.h"
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
  ASSERT_TRUE(state
                  .Apply(Record("alice", Purpose::kMilestones, Decision::kDenied,
                                kT0 + absl::Seconds(1), "v2"))
                  .ok());
  EXPECT_FALSE(state.Allows("alice", Purpose::kMilestones, kT0 + absl::Seconds(2)));
  EXPECT_EQ(state.Get("alice", Purpose::kMilestones).policy_version, "v2");
}

TEST(ConsentState, AnOlderRecordNeverOverridesANewerOne) {
  ConsentState state;
  ASSERT_TRUE(state.Apply(Record("a", Purpose::kMilestones, Decision::kDenied, kT0)).ok());
  ASSERT_TRUE(
      state.Apply(Record("a", Purpose::kMilestones, Decision::kGranted, kT0 - absl::Hours(1)))
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
  for (Purpose p : {Purpose::kUsageAnalytics, Purpose::kMilestones, Purpose::kRenewalNotifications,
                    Purpose::kConsentRecord}) {
    EXPECT_EQ(PurposeFromName(PurposeName(p)), p);
    EXPECT_EQ(FromWire(ToWire(p)), p);
  }
  EXPECT_EQ(PurposeFromName("ads"), std::nullopt);
  EXPECT_EQ(FromWire(cairn::v1::PURPOSE_UNSPECIFIED), std::nullopt);
  EXPECT_EQ(FromWire(42), std::nullopt);
}

TEST(ConsentState, APastMomentGetsTheDecisionThatHeldThen) {
  ConsentState state;
  ASSERT_TRUE(state.Apply(Record("a", Purpose::kMilestones, Decision::kGranted, kT0)).ok());
  ASSERT_TRUE(
      state.Apply(Record("a", Purpose::kMilestones, Decision::kDenied, kT0 + absl::Hours(2))).ok());
  EXPECT_FALSE(state.Allows("a", Purpose::kMilestones, kT0 - absl::Seconds(1)));
  EXPECT_TRUE(state.Allows("a", Purpose::kMilestones, kT0 + absl::Hours(1)));
  EXPECT_FALSE(state.Allows("a", Purpose::kMilestones, kT0 + absl::Hours(3)));
  // The SDK's check before sending looks at the latest decision only.
  EXPECT_FALSE(state.CurrentlyAllows("a", Purpose::kMilestones, kT0 + absl::Hours(1)));
  EXPECT_EQ(state.Get("a", Purpose::kMilestones).decision, Decision::kDenied);
}

TEST(ConsentState, OrderOfApplicationDoesNotMatter) {
  std::vector<ConsentRecord> records = {
      Record("a", Purpose::kUsageAnalytics, Decision::kGranted, kT0),
      Record("a", Purpose::kUsageAnalytics, Decision::kDenied, kT0 + absl::Hours(1)),
      Record("a", Purpose::kUsageAnalytics, Decision::kGranted, kT0 + absl::Hours(2))};
  ConsentState forward, backward;
  for (const auto& r : records) ASSERT_TRUE(forward.Apply(r).ok());
  for (auto it = records.rbegin(); it != records.rend(); ++it)
    ASSERT_TRUE(backward.Apply(*it).ok());
  for (int minutes : {-1, 0, 30, 60, 90, 120, 150}) {
    absl::Time at = kT0 + absl::Minutes(minutes);
    EXPECT_EQ(forward.DecisionAt("a", Purpose::kUsageAnalytics, at),
              backward.DecisionAt("a", Purpose::kUsageAnalytics, at))
        << minutes;
  }
  EXPECT_EQ(forward.DecisionAt("a", Purpose::kUsageAnalytics, kT0 + absl::Minutes(90)),
            Decision::kDenied);
  // Replaying a record changes nothing.
  ASSERT_TRUE(forward.Apply(records[1]).ok());
  EXPECT_EQ(forward.DecisionAt("a", Purpose::kUsageAnalytics, kT0 + absl::Minutes(150)),
            Decision::kGranted);
}

TEST(ConsentState, HistoryIsBoundedOldestForgottenFirst) {
  ConsentState state;
  for (size_t i = 0; i < ConsentState::kMaxHistory + 4; ++i) {
    ASSERT_TRUE(state
                    .Apply(Record("a", Purpose::kMilestones,
                                  i % 2 == 0 ? Decision::kGranted : Decision::kDenied,
                                  kT0 + absl::Minutes(static_cast<int64_t>(i))))
                    .ok());
  }
  // The first four decisions are gone: their moments read as unknown.
  EXPECT_EQ(state.DecisionAt("a", Purpose::kMilestones, kT0 + absl::Minutes(2)),
            Decision::kUnknown);
  EXPECT_EQ(state.DecisionAt("a", Purpose::kMilestones, kT0 + absl::Minutes(4)),
            Decision::kGranted);
}

TEST(ConsentState, SubjectsAndForget) {
  ConsentState state;
  ASSERT_TRUE(state.Apply(Record("a", Purpose::kMilestones, Decision::kGranted, kT0)).ok());
  ASSERT_TRUE(state.Apply(Record("b", Purpose::kMilestones, Decision::kDenied, kT0)).ok());
  std::vector<std::string> subjects = state.Subjects();
  std::sort(subjects.begin(), subjects.end());
  EXPECT_EQ(subjects, (std::vector<std::string>{"a", "b"}));
  state.Forget("a");
  EXPECT_EQ(state.Subjects(), std::vector<std::string>{"b"});
  EXPECT_FALSE(state.Allows("a", Purpose::kMilestones, kT0));
}

TEST(ConsentWire, RecordRoundTripsThroughAnEvent) {
  ConsentRecord r = Record("user-1", Purpose::kRenewalNotifications, Decision::kDenied, kT0, "2.3");
  r.policy_id = "privacy";
  r.source_surface = "settings";
  r.expires_at = kT0 + absl::Hours(24 * 365);
  cairn::v1::Event event;
  event.set_user_id(r.subject);
  ToProto(r.device_time, event.mutable_occurred_at());
  ToConsentChange(r, event.mutable_consent_change());
  EXPECT_EQ(event.consent_change().purpose(), cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS);
  EXPECT_EQ(event.consent_change().decision(), cairn::v1::CONSENT_DECISION_DENIED);
  absl::StatusOr<ConsentRecord> back = RecordFromEvent(event, "0.1.0");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->subject, "user-1");
  EXPECT_EQ(back->purpose, Purpose::kRenewalNotifications);
  EXPECT_EQ(back->decision, Decision::kDenied);
  EXPECT_EQ(back->policy_id, "privacy");
  EXPECT_EQ(back->policy_version, "2.3");
  EXPECT_EQ(back->device_time, kT0);
  EXPECT_EQ(back->source_sdk_version, "0.1.0");
  EXPECT_EQ(back->source_surface, "settings");
  ASSERT_TRUE(back->expires_at.has_value());
  EXPECT_EQ(*back->expires_at, kT0 + absl::Hours(24 * 365));
}

TEST(ConsentWire, EventWithoutPolicyVersionOrDecisionIsRefused) {
  cairn::v1::Event event;
  event.set_user_id("u");
  ToProto(kT0, event.mutable_occurred_at());
  event.mutable_consent_change()->set_purpose(cairn::v1::PURPOSE_MILESTONES);
  event.mutable_consent_change()->set_decision(cairn::v1::CONSENT_DECISION_GRANTED);
  EXPECT_EQ(RecordFromEvent(event).status().code(), absl::StatusCode::kInvalidArgument);
  event.mutable_consent_change()->set_policy_version("1");
  EXPECT_TRUE(RecordFromEvent(event).ok());
  event.mutable_consent_change()->set_decision(cairn::v1::CONSENT_DECISION_UNSPECIFIED);
  EXPECT_EQ(RecordFromEvent(event).status().code(), absl::StatusCode::kInvalidArgument);
  event.mutable_consent_change()->set_decision(cairn::v1::CONSENT_DECISION_GRANTED);
  event.mutable_consent_change()->set_purpose(cairn::v1::PURPOSE_CONSENT_RECORD);
  EXPECT_EQ(RecordFromEvent(event).status().code(), absl::StatusCode::kInvalidArgument);
  cairn::v1::Event login;
  login.mutable_login();
  EXPECT_EQ(RecordFromEvent(login).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cairn::consent
