// What a write key can and cannot do to other users' consent, through the
// real cairn-collector binary on loopback: a vendor default never undoes a
// renewal opt-out, an opt-out holds in the account it was made in, the
// answers to a write key reveal no user's status, and only a grant signed
// by the vendor's backend (or the operator) lifts an opt-out.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cairn/consent/grant_signature.h"
#include "collector_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http_client.h"
#include "json_fields.h"
#include "test_batches.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::CollectorFixture;
using ::cairn::testing::CollectorProcessOptions;
using ::cairn::testing::HttpResult;
using ::cairn::testing::MakeConsentChange;
using ::cairn::testing::MakeGrant;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::SqliteQueryInt;
using ::cairn::testing::StringArray;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kWriteKey[] = "trust-write-key";
constexpr char kAdminToken[] = "trust-admin-token";
constexpr char kSigningSecret[] = "vendor-backend-consent-secret";
constexpr auto kAnalytics = cairn::v1::PURPOSE_USAGE_ANALYTICS;
constexpr auto kRenewal = cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS;
constexpr auto kGranted = cairn::v1::CONSENT_DECISION_GRANTED;
constexpr auto kDenied = cairn::v1::CONSENT_DECISION_DENIED;

class CollectorConsentTrustProcessTest : public CollectorFixture {
 protected:
  void SetUp() override {
    std::string secret_file = dir_.File("consent-signing.key");
    std::ofstream(secret_file) << kSigningSecret << "\n";
    CollectorProcessOptions options;
    options.write_key = kWriteKey;
    options.admin_token = kAdminToken;
    options.extra_flags = {"--consent-signing-key-file=" + secret_file};
    StartCollectorWith(std::move(options));
  }

  cairn::v1::BatchResponse Post(std::vector<cairn::v1::Event> events) {
    return PostEvents(std::move(events), kWriteKey);
  }

  std::vector<std::string> Admin() { return {absl::StrCat("Authorization: Bearer ", kAdminToken)}; }

  std::vector<std::string> Recipients(const std::string& account) {
    HttpResult result =
        Request("GET", "/v1/renewal-notifications/recipients?account_id=" + account, "", Admin());
    EXPECT_EQ(result.status, 200) << result.body;
    return StringArray(result.body, "recipients");
  }

  int64_t QueryInt(const std::string& sql) { return SqliteQueryInt(db_path_, sql); }

  // A renewal grant at `at` as the user's act, signed by `secret` if given.
  static cairn::v1::Event Regrant(const std::string& account, const std::string& user,
                                  absl::Time at, const std::string& secret = "") {
    cairn::v1::Event event = MakeConsentChange(account, user, kRenewal, kGranted, at);
    event.mutable_consent_change()->set_origin(cairn::v1::CONSENT_ORIGIN_USER_ACTION);
    if (!secret.empty()) {
      const absl::Time signed_at = absl::FromUnixSeconds(absl::ToUnixSeconds(at));
      event.mutable_consent_change()->set_grant_signature(
          consent::SignGrant(secret, account, user, consent::Purpose::kRenewalNotifications,
                             consent::Decision::kGranted, signed_at));
      event.mutable_consent_change()->mutable_signed_at()->set_seconds(
          absl::ToUnixSeconds(signed_at));
    }
    return event;
  }
};

TEST_F(CollectorConsentTrustProcessTest, AVendorDefaultGrantNeverUndoesARenewalOptOut) {
  const absl::Time now = absl::Now();
  Post({MakeGrant("acme", "ann", kRenewal), MakeGrant("acme", "ben", kRenewal)});
  Post({MakeConsentChange("acme", "ann", kRenewal, kDenied, now - absl::Hours(2))});
  ASSERT_THAT(Recipients("acme"), ElementsAre("ben"));

  // A new device's soft opt-in default, marked as such, and the same from
  // an SDK older than the origin field (only its surface says so).
  cairn::v1::Event marked = MakeConsentChange("acme", "ann", kRenewal, kGranted, now);
  marked.mutable_consent_change()->set_origin(cairn::v1::CONSENT_ORIGIN_VENDOR_DEFAULT);
  marked.mutable_consent_change()->set_source_surface("new_device");
  cairn::v1::Event old_sdk =
      MakeConsentChange("acme", "ann", kRenewal, kGranted, now + absl::Seconds(1));
  old_sdk.mutable_consent_change()->set_source_surface("vendor_default");
  cairn::v1::BatchResponse response = Post({marked, old_sdk});
  EXPECT_EQ(response.accepted(), 2u);                   // kept as proof...
  EXPECT_THAT(Recipients("acme"), ElementsAre("ben"));  // ...never lifting the objection
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_records WHERE purpose = 3"), 5);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM renewal_suppression"), 1);

  // Without an objection the soft opt-in default still makes a recipient.
  cairn::v1::Event fresh = MakeConsentChange("acme", "cleo", kRenewal, kGranted, now);
  fresh.mutable_consent_change()->set_origin(cairn::v1::CONSENT_ORIGIN_VENDOR_DEFAULT);
  Post({fresh});
  EXPECT_THAT(Recipients("acme"), ElementsAre("ben", "cleo"));
}

TEST_F(CollectorConsentTrustProcessTest, AnOptOutHoldsInTheAccountItWasMadeIn) {
  const absl::Time now = absl::Now();
  // One person, one global user id, two accounts.
  Post({MakeGrant("acme", "ann", kRenewal), MakeGrant("globex", "ann", kRenewal)});
  Post({MakeConsentChange("acme", "ann", kRenewal, kDenied, now - absl::Hours(1))});
  ASSERT_THAT(Recipients("acme"), IsEmpty());
  // Her later, explicit grant in the other account is about that account.
  Post({Regrant("globex", "ann", now)});
  EXPECT_THAT(Recipients("acme"), IsEmpty());
  EXPECT_THAT(Recipients("globex"), ElementsAre("ann"));
  // And an objection in globex leaves acme's state alone.
  Post({MakeConsentChange("globex", "ann", kRenewal, kDenied, now + absl::Seconds(1))});
  EXPECT_THAT(Recipients("globex"), IsEmpty());
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_state WHERE purpose = 3"), 2);
}

TEST_F(CollectorConsentTrustProcessTest, AnswersToAWriteKeyRevealNoUsersStatus) {
  Post(cairn::testing::WithGrants({MakeLogin("acme", "erin")}));
  ASSERT_EQ(Request("DELETE", "/v1/users/erin", "", Admin()).status, 200);

  // Probing an erased user and one who never consented: the same answer.
  cairn::v1::BatchResponse probe = Post({MakeLogin("acme", "erin"), MakeLogin("acme", "nora")});
  EXPECT_EQ(probe.accepted(), 0u);
  ASSERT_EQ(probe.rejected_size(), 2);
  for (const cairn::v1::RejectedEvent& rejected : probe.rejected()) {
    EXPECT_EQ(rejected.reason(), cairn::v1::REJECT_REASON_NOT_STORED);
    EXPECT_EQ(rejected.detail(), probe.rejected(0).detail());
  }
  // A malformed consent change is refused for its own fault, alike for both.
  cairn::v1::BatchResponse malformed =
      Post({MakeConsentChange("acme", "erin", kAnalytics, kGranted, absl::Now(), ""),
            MakeConsentChange("acme", "nora", kAnalytics, kGranted, absl::Now(), "")});
  ASSERT_EQ(malformed.rejected_size(), 2);
  EXPECT_EQ(malformed.rejected(0).reason(), cairn::v1::REJECT_REASON_MISSING_POLICY_VERSION);
  EXPECT_EQ(malformed.rejected(1).reason(), cairn::v1::REJECT_REASON_MISSING_POLICY_VERSION);
  // The operator's counters keep the real reasons.
  EXPECT_EQ(QueryInt("SELECT count FROM rejections WHERE reason = 12"), 1);  // USER_ERASED
  EXPECT_EQ(QueryInt("SELECT count FROM rejections WHERE reason = 10"), 1);  // NO_CONSENT
  HttpResult metrics = Request("GET", "/metrics");
  EXPECT_THAT(metrics.body,
              ::testing::HasSubstr("cairn_events_rejected_total{reason=\"user_erased\"} 1"));
}

TEST_F(CollectorConsentTrustProcessTest, OnlyASignedGrantOrTheOperatorLiftsAnOptOut) {
  const absl::Time now = absl::Now();
  Post({MakeGrant("acme", "ann", kRenewal), MakeGrant("acme", "ben", kRenewal)});
  Post({MakeConsentChange("acme", "ann", kRenewal, kDenied, now - absl::Hours(3)),
        MakeConsentChange("acme", "ben", kRenewal, kDenied, now - absl::Hours(3))});
  ASSERT_THAT(Recipients("acme"), IsEmpty());

  // Forged with the write key alone: unsigned, or signed with a wrong secret.
  cairn::v1::BatchResponse forged =
      Post({Regrant("acme", "ann", now - absl::Hours(2)),
            Regrant("acme", "ann", now - absl::Hours(1), "not-the-vendors-secret")});
  EXPECT_EQ(forged.accepted(), 2u);  // stored as proof
  EXPECT_THAT(Recipients("acme"), IsEmpty());
  HttpResult metrics = Request("GET", "/metrics");
  EXPECT_THAT(metrics.body, ::testing::HasSubstr("cairn_renewal_grants_kept_suppressed_total 2"));
  EXPECT_THAT(metrics.body, ::testing::HasSubstr("cairn_grant_signatures_invalid_total 1"));

  // The user's explicit re-grant, signed by the vendor's backend.
  Post({Regrant("acme", "ann", now, kSigningSecret)});
  EXPECT_THAT(Recipients("acme"), ElementsAre("ann"));

  // ben re-granted by phone: an unsigned grant, then the operator lifts it.
  Post({Regrant("acme", "ben", now)});
  EXPECT_THAT(Recipients("acme"), ElementsAre("ann"));
  const std::string lift = "/v1/renewal-notifications/suppressions/ben?account_id=acme";
  EXPECT_EQ(Request("DELETE", lift, "", {absl::StrCat("Authorization: Bearer ", kWriteKey)}).status,
            401);
  HttpResult lifted = Request("DELETE", lift, "", Admin());
  ASSERT_EQ(lifted.status, 200) << lifted.body;
  EXPECT_EQ(cairn::testing::RawValue(lifted.body, "entries_lifted"), "1");
  EXPECT_THAT(Recipients("acme"), ElementsAre("ann", "ben"));
}

}  // namespace
}  // namespace cairn::collector
