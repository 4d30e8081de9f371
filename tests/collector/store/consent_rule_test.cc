// The collector's consent rule (store/consent_rule.h) on its own: which
// decision is in force when an event occurred, ties, late arrivals, expiry
// and tombstones, with decisions given the way both stores hand them over.
#include "store/consent_rule.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <tuple>
#include <vector>

#include "cairn/consent/consent_state.h"
#include "gtest/gtest.h"
#include "test_batches.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::MakeConsentChange;
using ::cairn::testing::MakeLogin;

constexpr auto kAnalytics = cairn::v1::PURPOSE_USAGE_ANALYTICS;
constexpr auto kGranted = cairn::v1::CONSENT_DECISION_GRANTED;
constexpr auto kDenied = cairn::v1::CONSENT_DECISION_DENIED;
const absl::Time kT0 = absl::FromUnixSeconds(1750000000);

// Decision rows as a store keeps them, in the order they were stored; the
// stores read them back sorted by (device time, stored order).
class Rows {
 public:
  Rows& Add(absl::Time at, cairn::v1::ConsentDecision decision,
            std::optional<absl::Time> expires_at = std::nullopt) {
    std::optional<int64_t> expires_us;
    if (expires_at) expires_us = absl::ToUnixMicros(*expires_at);
    rows_.push_back({absl::ToUnixMicros(at), static_cast<int64_t>(rows_.size()),
                     static_cast<int64_t>(decision), expires_us});
    return *this;
  }
  std::vector<consent::PurposeState> Sorted() const {
    std::vector<Row> rows = rows_;
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      return std::tie(a.at_us, a.stored) < std::tie(b.at_us, b.stored);
    });
    std::vector<consent::PurposeState> out;
    for (const Row& r : rows) out.push_back(DecisionFromRow(r.at_us, r.decision, r.expires_us));
    return out;
  }

 private:
  struct Row {
    int64_t at_us;
    int64_t stored;
    int64_t decision;
    std::optional<int64_t> expires_us;
  };
  std::vector<Row> rows_;
};

ConsentVerdict Judge(const Rows& rows, absl::Time event_at, bool erased = false) {
  return JudgeEvent(MakeLogin("acct", "u1", event_at), erased, rows.Sorted());
}

TEST(CollectorConsentRuleTest, GrantThenWithdrawalAllowsOnlyEventsInBetween) {
  Rows rows;
  rows.Add(kT0, kGranted).Add(kT0 + absl::Hours(2), kDenied);
  EXPECT_EQ(Judge(rows, kT0 - absl::Microseconds(1)), ConsentVerdict::kNoConsent);
  EXPECT_EQ(Judge(rows, kT0), ConsentVerdict::kAllowed);  // at the grant's moment
  EXPECT_EQ(Judge(rows, kT0 + absl::Hours(1)), ConsentVerdict::kAllowed);
  EXPECT_EQ(Judge(rows, kT0 + absl::Hours(2)), ConsentVerdict::kNoConsent);
  EXPECT_EQ(Judge(rows, kT0 + absl::Hours(3)), ConsentVerdict::kNoConsent);
}

TEST(CollectorConsentRuleTest, LateArrivingOlderDecisionCountsByItsDateNotItsArrival) {
  Rows rows;
  rows.Add(kT0, kGranted);                  // stored first
  rows.Add(kT0 - absl::Hours(1), kDenied);  // made earlier, stored later
  EXPECT_EQ(Judge(rows, kT0 + absl::Minutes(1)), ConsentVerdict::kAllowed);
  EXPECT_EQ(Judge(rows, kT0 - absl::Minutes(30)), ConsentVerdict::kNoConsent);
  // And the other way round: a late grant dated before a withdrawal.
  Rows late_grant;
  late_grant.Add(kT0, kDenied).Add(kT0 - absl::Hours(1), kGranted);
  EXPECT_EQ(Judge(late_grant, kT0 - absl::Minutes(30)), ConsentVerdict::kAllowed);
  EXPECT_EQ(Judge(late_grant, kT0 + absl::Minutes(1)), ConsentVerdict::kNoConsent);
}

TEST(CollectorConsentRuleTest, OfDecisionsDatedAlikeTheOneStoredLastWins) {
  Rows withdrawn;
  withdrawn.Add(kT0, kGranted).Add(kT0, kDenied);
  EXPECT_EQ(Judge(withdrawn, kT0), ConsentVerdict::kNoConsent);
  EXPECT_EQ(Judge(withdrawn, kT0 + absl::Hours(1)), ConsentVerdict::kNoConsent);
  Rows regranted;
  regranted.Add(kT0, kDenied).Add(kT0, kGranted);
  EXPECT_EQ(Judge(regranted, kT0), ConsentVerdict::kAllowed);
  EXPECT_EQ(Judge(regranted, kT0 + absl::Hours(1)), ConsentVerdict::kAllowed);
}

TEST(CollectorConsentRuleTest, TombstoneWinsOverGrantsAndConsentChanges) {
  Rows rows;
  rows.Add(kT0 - absl::Hours(1), kGranted);
  EXPECT_EQ(Judge(rows, kT0), ConsentVerdict::kAllowed);
  EXPECT_EQ(Judge(rows, kT0, /*erased=*/true), ConsentVerdict::kUserErased);
  cairn::v1::Event change = MakeConsentChange("acct", "u1", kAnalytics, kGranted, kT0);
  EXPECT_EQ(JudgeEvent(change, false, {}), ConsentVerdict::kAllowed);
  EXPECT_EQ(JudgeEvent(change, true, {}), ConsentVerdict::kUserErased);
  EXPECT_EQ(RefusalOf(ConsentVerdict::kUserErased, change).reason,
            cairn::v1::REJECT_REASON_USER_ERASED);
}

TEST(CollectorConsentRuleTest, AMalformedConsentChangeIsRefusedAlikeForErasedAndOtherUsers) {
  cairn::v1::Event change = MakeConsentChange("acct", "u1", kAnalytics, kGranted, kT0, "");
  EXPECT_EQ(JudgeEvent(change, false, {}), ConsentVerdict::kMalformedConsent);
  EXPECT_EQ(JudgeEvent(change, true, {}), ConsentVerdict::kMalformedConsent);
}

TEST(CollectorConsentRuleTest, OnlyASignedGrantOfTheUsersOwnMayLiftASuppression) {
  cairn::v1::Event grant =
      MakeConsentChange("acct", "u1", cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS, kGranted, kT0);
  EXPECT_TRUE(MayLiftSuppression(grant, /*signature_verified=*/true));
  EXPECT_FALSE(MayLiftSuppression(grant, /*signature_verified=*/false));
  cairn::v1::Event marked = grant;
  marked.mutable_consent_change()->set_origin(cairn::v1::CONSENT_ORIGIN_VENDOR_DEFAULT);
  EXPECT_FALSE(MayLiftSuppression(marked, true));
  // An SDK older than the origin field marks its defaults by the surface.
  cairn::v1::Event old_default = grant;
  old_default.mutable_consent_change()->set_source_surface("vendor_default");
  EXPECT_FALSE(MayLiftSuppression(old_default, true));
  old_default.mutable_consent_change()->set_origin(cairn::v1::CONSENT_ORIGIN_USER_ACTION);
  EXPECT_TRUE(MayLiftSuppression(old_default, true));
}

TEST(CollectorConsentRuleTest, GrantExpiresAtItsExpiryAndNoDecisionMeansNoConsent) {
  Rows rows;
  rows.Add(kT0, kGranted, kT0 + absl::Hours(1));
  EXPECT_EQ(Judge(rows, kT0 + absl::Minutes(59)), ConsentVerdict::kAllowed);
  EXPECT_EQ(Judge(rows, kT0 + absl::Hours(1)), ConsentVerdict::kNoConsent);
  EXPECT_EQ(Judge(Rows(), kT0), ConsentVerdict::kNoConsent);
  EXPECT_EQ(RefusalOf(ConsentVerdict::kNoConsent, MakeLogin("acct", "u1", kT0)).reason,
            cairn::v1::REJECT_REASON_NO_CONSENT);
}

TEST(CollectorConsentRuleTest, EventsAreJudgedAtTheirWholeMicrosecond) {
  // Consent records are dated in microseconds: an event 999 ns after a
  // moment is judged at that moment, before a grant one microsecond later.
  const absl::Time event_at = kT0 + absl::Nanoseconds(999);
  cairn::v1::Event login = MakeLogin("acct", "u1", event_at);
  EXPECT_EQ(ConsentMomentMicros(login), absl::ToUnixMicros(kT0));
  Rows rows;
  rows.Add(kT0 + absl::Microseconds(1), kGranted);
  EXPECT_EQ(Judge(rows, event_at), ConsentVerdict::kNoConsent);
  EXPECT_EQ(Judge(rows, kT0 + absl::Microseconds(1)), ConsentVerdict::kAllowed);
}

TEST(CollectorConsentRuleTest, PurposesWithoutConsentAndUnknownPurposes) {
  cairn::v1::Event login = MakeLogin("acct", "u1", kT0);
  EXPECT_TRUE(NeedsDecisions(login));
  cairn::v1::Event unknown = login;
  unknown.set_purpose(static_cast<cairn::v1::Purpose>(99));
  EXPECT_FALSE(NeedsDecisions(unknown));
  EXPECT_EQ(JudgeEvent(unknown, false, {}), ConsentVerdict::kNoConsent);
  cairn::v1::Event record_purpose = login;
  record_purpose.set_purpose(cairn::v1::PURPOSE_CONSENT_RECORD);
  EXPECT_FALSE(NeedsDecisions(record_purpose));
  EXPECT_EQ(JudgeEvent(record_purpose, false, {}), ConsentVerdict::kAllowed);
}

TEST(CollectorConsentRuleTest, MalformedConsentChangeIsRefusedWithItsReason) {
  cairn::v1::Event change = MakeConsentChange("acct", "u1", kAnalytics, kGranted, kT0);
  EXPECT_FALSE(NeedsDecisions(change));
  change.mutable_consent_change()->clear_policy_version();
  EXPECT_EQ(JudgeEvent(change, false, {}), ConsentVerdict::kMalformedConsent);
  EXPECT_EQ(RefusalOf(ConsentVerdict::kMalformedConsent, change).reason,
            cairn::v1::REJECT_REASON_MISSING_POLICY_VERSION);
  change.mutable_consent_change()->set_policy_version("v1");
  change.mutable_consent_change()->set_decision(cairn::v1::CONSENT_DECISION_UNSPECIFIED);
  EXPECT_EQ(JudgeEvent(change, false, {}), ConsentVerdict::kMalformedConsent);
  EXPECT_EQ(RefusalOf(ConsentVerdict::kMalformedConsent, change).reason,
            cairn::v1::REJECT_REASON_INVALID_CONSENT);
}

// The collector and the SDK's ConsentState answer alike for any order of
// arrival: random decisions on a few distinct minutes, applied in random
// order, judged at every minute around them.
TEST(CollectorConsentRuleTest, AgreesWithConsentStateWhateverTheArrivalOrder) {
  std::mt19937 random(7);
  for (int round = 0; round < 200; ++round) {
    Rows rows;
    consent::ConsentState state;
    const int count = 1 + static_cast<int>(random() % 8);
    std::vector<int> minutes(10);
    for (int m = 0; m < 10; ++m) minutes[static_cast<size_t>(m)] = m;
    std::shuffle(minutes.begin(), minutes.end(), random);
    for (int n = 0; n < count; ++n) {
      const absl::Time at = kT0 + absl::Minutes(minutes[static_cast<size_t>(n)]);
      const bool grant = random() % 2 == 0;
      std::optional<absl::Time> expires;
      if (grant && random() % 3 == 0) expires = at + absl::Minutes(1 + random() % 4);
      rows.Add(at, grant ? kGranted : kDenied, expires);
      consent::ConsentRecord record;
      record.subject = "u1";
      record.purpose = consent::Purpose::kUsageAnalytics;
      record.decision = grant ? consent::Decision::kGranted : consent::Decision::kDenied;
      record.policy_version = "v1";
      record.device_time = at;
      record.expires_at = expires;
      ASSERT_TRUE(state.Apply(record).ok());
    }
    for (int m = -1; m <= 14; ++m) {
      const absl::Time at = kT0 + absl::Minutes(m);
      const bool allowed = state.Allows("u1", consent::Purpose::kUsageAnalytics, at);
      EXPECT_EQ(Judge(rows, at) == ConsentVerdict::kAllowed, allowed)
          << "round " << round << " minute " << m;
    }
  }
}

}  // namespace
}  // namespace cairn::collector
