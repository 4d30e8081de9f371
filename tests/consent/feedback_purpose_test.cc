// The feedback purpose: named, on the wire, consentable apart from the
// others and denied until the user grants it, with signed grants like any.
#include <algorithm>

#include "cairn/common/proto_time.h"
#include "cairn/consent/consent_state.h"
#include "cairn/consent/grant_signature.h"
#include "cairn/consent/purpose.h"
#include "gtest/gtest.h"

namespace cairn::consent {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1790000000);

ConsentRecord Decide(Decision decision, absl::Time at) {
  ConsentRecord r;
  r.subject = "u-1";
  r.purpose = Purpose::kFeedback;
  r.decision = decision;
  r.policy_version = "2026-11";
  r.device_time = at;
  return r;
}

TEST(FeedbackPurpose, NameAndWireValueRoundTrip) {
  EXPECT_EQ(PurposeName(Purpose::kFeedback), "feedback");
  EXPECT_EQ(PurposeFromName("feedback"), Purpose::kFeedback);
  EXPECT_EQ(ToWire(Purpose::kFeedback), cairn::v1::PURPOSE_FEEDBACK);
  EXPECT_EQ(static_cast<int>(cairn::v1::PURPOSE_FEEDBACK), 5);
  EXPECT_EQ(FromWire(cairn::v1::PURPOSE_FEEDBACK), Purpose::kFeedback);
  EXPECT_EQ(FromWire(5), Purpose::kFeedback);
  EXPECT_TRUE(NeedsConsent(Purpose::kFeedback));
  EXPECT_NE(std::find(kConsentablePurposes.begin(), kConsentablePurposes.end(), Purpose::kFeedback),
            kConsentablePurposes.end());
}

TEST(FeedbackPurpose, DeniedByDefaultGrantableAndWithdrawableAlone) {
  ConsentState state;
  EXPECT_EQ(state.CurrentDecision("u-1", Purpose::kFeedback, kT0), Decision::kUnknown);
  EXPECT_FALSE(state.CurrentlyAllows("u-1", Purpose::kFeedback, kT0));

  ASSERT_TRUE(state.Apply(Decide(Decision::kGranted, kT0)).ok());
  EXPECT_TRUE(state.CurrentlyAllows("u-1", Purpose::kFeedback, kT0));
  // A feedback grant is not a grant of anything else, nor for anyone else.
  EXPECT_FALSE(state.CurrentlyAllows("u-1", Purpose::kUsageAnalytics, kT0));
  EXPECT_FALSE(state.CurrentlyAllows("u-1", Purpose::kMilestones, kT0));
  EXPECT_FALSE(state.CurrentlyAllows("u-2", Purpose::kFeedback, kT0));

  ASSERT_TRUE(state.Apply(Decide(Decision::kDenied, kT0 + absl::Minutes(1))).ok());
  EXPECT_FALSE(state.CurrentlyAllows("u-1", Purpose::kFeedback, kT0 + absl::Minutes(1)));
  // The grant still held when it held.
  EXPECT_TRUE(state.Allows("u-1", Purpose::kFeedback, kT0 + absl::Seconds(30)));
}

TEST(FeedbackPurpose, RecordsTravelAsConsentChangesAndSignLikeTheOthers) {
  const ConsentRecord grant = Decide(Decision::kGranted, kT0);
  cairn::v1::Event event;
  event.set_account_id("acme");
  event.set_user_id("u-1");
  ToProto(kT0, event.mutable_occurred_at());
  ToConsentChange(grant, event.mutable_consent_change());
  EXPECT_EQ(event.consent_change().purpose(), cairn::v1::PURPOSE_FEEDBACK);
  absl::StatusOr<ConsentRecord> back = RecordFromEvent(event);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->purpose, Purpose::kFeedback);
  EXPECT_EQ(back->decision, Decision::kGranted);

  const std::string text =
      GrantSigningText("acme", "u-1", Purpose::kFeedback, Decision::kGranted, kT0);
  EXPECT_NE(text.find("\n5\n"), std::string::npos) << "the purpose as its wire number";
  EXPECT_NE(SignGrant("secret", "acme", "u-1", Purpose::kFeedback, Decision::kGranted, kT0),
            SignGrant("secret", "acme", "u-1", Purpose::kMilestones, Decision::kGranted, kT0));
}

}  // namespace
}  // namespace cairn::consent
