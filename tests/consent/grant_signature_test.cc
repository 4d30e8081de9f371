#include "cairn/consent/grant_signature.h"

#include <string>

#include "absl/time/time.h"
#include "cairn/common/proto_time.h"
#include "gtest/gtest.h"

namespace cairn::consent {
namespace {

constexpr char kSecret[] = "vendor-backend-secret";
const absl::Time kAt = absl::FromUnixSeconds(1790000000);

cairn::v1::Event SignedGrant(const std::string& secret) {
  cairn::v1::Event event;
  event.set_account_id("acme");
  event.set_user_id("ann");
  ToProto(kAt, event.mutable_occurred_at());
  cairn::v1::ConsentChange* change = event.mutable_consent_change();
  change->set_purpose(cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS);
  change->set_decision(cairn::v1::CONSENT_DECISION_GRANTED);
  change->set_grant_signature(
      SignGrant(secret, "acme", "ann", Purpose::kRenewalNotifications, Decision::kGranted, kAt));
  ToProto(kAt, change->mutable_signed_at());
  return event;
}

TEST(GrantSignature, TheSignedTextNamesEveryFieldOnItsOwnLine) {
  EXPECT_EQ(
      GrantSigningText("acme", "ann", Purpose::kRenewalNotifications, Decision::kGranted, kAt),
      "cairn-consent-grant-v1\nacme\nann\n3\n1\n1790000000");
}

TEST(GrantSignature, OnlyTheRightSecretAndTheSignedFieldsVerify) {
  EXPECT_TRUE(HasValidGrantSignature(kSecret, SignedGrant(kSecret)));
  EXPECT_FALSE(HasValidGrantSignature("another-secret-entirely", SignedGrant(kSecret)));
  EXPECT_FALSE(HasValidGrantSignature("", SignedGrant(kSecret)));
  cairn::v1::Event other_user = SignedGrant(kSecret);
  other_user.set_user_id("ben");
  EXPECT_FALSE(HasValidGrantSignature(kSecret, other_user));
  cairn::v1::Event other_account = SignedGrant(kSecret);
  other_account.set_account_id("globex");
  EXPECT_FALSE(HasValidGrantSignature(kSecret, other_account));
  cairn::v1::Event denial = SignedGrant(kSecret);
  denial.mutable_consent_change()->set_decision(cairn::v1::CONSENT_DECISION_DENIED);
  EXPECT_FALSE(HasValidGrantSignature(kSecret, denial));
  cairn::v1::Event unsigned_grant = SignedGrant(kSecret);
  unsigned_grant.mutable_consent_change()->clear_grant_signature();
  EXPECT_FALSE(HasValidGrantSignature(kSecret, unsigned_grant));
}

TEST(GrantSignature, ASignatureOlderThanTheSkewDoesNotVerifyALaterDecision) {
  cairn::v1::Event replayed = SignedGrant(kSecret);
  ToProto(kAt + kMaxGrantSignatureSkew, replayed.mutable_occurred_at());
  EXPECT_TRUE(HasValidGrantSignature(kSecret, replayed));
  ToProto(kAt + kMaxGrantSignatureSkew + absl::Seconds(1), replayed.mutable_occurred_at());
  EXPECT_FALSE(HasValidGrantSignature(kSecret, replayed));
}

}  // namespace
}  // namespace cairn::consent
