// Consent enforcement, erasure, export, renewal recipients and retention in
// the stores, driven directly (no HTTP): the same suite against SQLite and
// PostgreSQL (value-parameterized), each test on a fresh database.
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/retention_purger.h"
#include "store/store_factory.h"
#include "temp_dir.h"
#include "test_batches.h"
#include "test_database.h"

namespace cairn::collector {
namespace {

using ::cairn::collector::testing::MakeRecord;
using ::cairn::collector::testing::StoreKind;
using ::cairn::collector::testing::StoreSuite;
using ::cairn::collector::testing::TestDatabase;
using ::cairn::testing::MakeConsentChange;
using ::cairn::testing::MakeGrant;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::MakeMilestone;
using ::cairn::testing::NewUuidV7;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr auto kAnalytics = cairn::v1::PURPOSE_USAGE_ANALYTICS;
constexpr auto kMilestones = cairn::v1::PURPOSE_MILESTONES;
constexpr auto kRenewal = cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS;
constexpr auto kGranted = cairn::v1::CONSENT_DECISION_GRANTED;
constexpr auto kDenied = cairn::v1::CONSENT_DECISION_DENIED;
constexpr auto kNoConsent = cairn::v1::REJECT_REASON_NO_CONSENT;
constexpr auto kErased = cairn::v1::REJECT_REASON_USER_ERASED;

constexpr absl::Time kT0 = testing::kStoreTestNow;

class CollectorConsentStoreTest : public StoreSuite {
 protected:
  std::string UserHash(const std::string& user) { return TestDatabase::UserHash(*store_, user); }

  bool IsStored(const cairn::v1::Event& event) {
    return QueryInt("SELECT count(*) FROM events WHERE event_id = ?1", event.event_id()) == 1;
  }
  int64_t Rejections(cairn::v1::RejectReason reason) {
    auto summary = store_->Summarize();
    EXPECT_TRUE(summary.ok());
    auto it = summary->rejections.find(reason);
    return it == summary->rejections.end() ? 0 : it->second;
  }
  std::vector<std::string> Recipients(const std::string& account, absl::Time now = kT0) {
    auto page = store_->RenewalRecipients(account, "", 100, now);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->user_ids : std::vector<std::string>{};
  }
};

INSTANTIATE_TEST_SUITE_P(CollectorStores, CollectorConsentStoreTest,
                         ::testing::Values(StoreKind::kSqlite, StoreKind::kPostgres),
                         testing::StoreKindName);

TEST_P(CollectorConsentStoreTest, ConsentChangeIsStoredEvenWithoutAnyAnalyticsGrant) {
  cairn::v1::Event denial = MakeConsentChange("acct", "u1", kAnalytics, kDenied, kT0, "v7");
  BatchWriteResult result = Write({denial});
  EXPECT_EQ(result.inserted, 1);
  EXPECT_THAT(result.rejections, IsEmpty());
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_records WHERE user_id = ?1 AND "
                     "policy_version = 'v7' AND sdk_version = '1.2.3' AND decision = 2",
                     "u1"),
            1);
  EXPECT_EQ(QueryInt("SELECT decision FROM consent_state WHERE user_id = ?1", "u1"), 2);
}

TEST_P(CollectorConsentStoreTest, StoreRefusesAConsentChangeWithoutPolicyVersion) {
  // Validation refuses it before the store; the store refuses it too.
  cairn::v1::Event change = MakeConsentChange("acct", "u1", kAnalytics, kGranted, kT0, "");
  BatchWriteResult result = Write({change});
  EXPECT_EQ(result.inserted, 0);
  ASSERT_EQ(result.rejections.size(), 1u);
  EXPECT_EQ(result.rejections[0].reason, cairn::v1::REJECT_REASON_MISSING_POLICY_VERSION);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_records"), 0);
}

TEST_P(CollectorConsentStoreTest, EventOfANeverGrantedPurposeIsRejectedAndCountedOnce) {
  Write({MakeGrant("acct", "u1", kAnalytics)});
  cairn::v1::Event milestone = MakeMilestone("acct", "u1", "first", std::nullopt, kT0);
  BatchRecord record = MakeRecord({MakeLogin("acct", "u1", kT0), milestone});
  BatchWriteResult result = Write(record);
  EXPECT_EQ(result.inserted, 1);
  EXPECT_THAT(result.outcomes, ElementsAre(EventOutcome::kInserted, EventOutcome::kRejected));
  ASSERT_EQ(result.rejections.size(), 1u);
  EXPECT_EQ(result.rejections[0].index, 1u);
  EXPECT_EQ(result.rejections[0].reason, kNoConsent);
  EXPECT_FALSE(IsStored(milestone));
  EXPECT_EQ(Rejections(kNoConsent), 1);
  // A retry of the same batch is refused again but not counted again.
  EXPECT_EQ(Write(record).rejections.size(), 1u);
  EXPECT_EQ(Rejections(kNoConsent), 1);
  EXPECT_EQ(QueryInt("SELECT rejected FROM batches WHERE batch_id = ?1", record.batch_id), 1);
}

TEST_P(CollectorConsentStoreTest, GrantThenEventIsAccepted) {
  Write({MakeConsentChange("acct", "u1", kAnalytics, kGranted, kT0 - absl::Hours(1))});
  cairn::v1::Event login = MakeLogin("acct", "u1", kT0);
  EXPECT_EQ(Write({login}).inserted, 1);
  EXPECT_TRUE(IsStored(login));
}

TEST_P(CollectorConsentStoreTest, EventDatedBeforeTheGrantIsRejected) {
  Write({MakeConsentChange("acct", "u1", kAnalytics, kGranted, kT0)});
  cairn::v1::Event early = MakeLogin("acct", "u1", kT0 - absl::Microseconds(1));
  BatchWriteResult result = Write({early});
  ASSERT_EQ(result.rejections.size(), 1u);
  EXPECT_EQ(result.rejections[0].reason, kNoConsent);
  EXPECT_FALSE(IsStored(early));
}

TEST_P(CollectorConsentStoreTest, EventBetweenGrantAndWithdrawalIsAcceptedAfterIsRejected) {
  Write({MakeConsentChange("acct", "u1", kAnalytics, kGranted, kT0 - absl::Hours(2))});
  Write({MakeConsentChange("acct", "u1", kAnalytics, kDenied, kT0)});
  // Arriving after the withdrawal, dated between: the grant held then.
  cairn::v1::Event between = MakeLogin("acct", "u1", kT0 - absl::Hours(1));
  cairn::v1::Event after = MakeLogin("acct", "u1", kT0 + absl::Seconds(1));
  BatchWriteResult result = Write({between, after});
  EXPECT_THAT(result.outcomes, ElementsAre(EventOutcome::kInserted, EventOutcome::kRejected));
  EXPECT_TRUE(IsStored(between));
  EXPECT_FALSE(IsStored(after));
}

TEST_P(CollectorConsentStoreTest, ExpiredGrantIsRejected) {
  Write({MakeConsentChange("acct", "u1", kAnalytics, kGranted, kT0 - absl::Hours(2), "v1",
                           kT0 - absl::Hours(1))});
  cairn::v1::Event before_expiry = MakeLogin("acct", "u1", kT0 - absl::Minutes(90));
  cairn::v1::Event at_expiry = MakeLogin("acct", "u1", kT0 - absl::Hours(1));
  cairn::v1::Event after_expiry = MakeLogin("acct", "u1", kT0);
  BatchWriteResult result = Write({before_expiry, at_expiry, after_expiry});
  EXPECT_THAT(result.outcomes, ElementsAre(EventOutcome::kInserted, EventOutcome::kRejected,
                                           EventOutcome::kRejected));
}

TEST_P(CollectorConsentStoreTest, ConsentChangesOfABatchApplyBeforeItsOtherEvents) {
  // The event comes first in the batch; the grant later, dated earlier.
  cairn::v1::Event login = MakeLogin("acct", "u1", kT0);
  cairn::v1::Event grant =
      MakeConsentChange("acct", "u1", kAnalytics, kGranted, kT0 - absl::Hours(1));
  // A withdrawal in the same batch, dated before the milestone.
  cairn::v1::Event milestone = MakeMilestone("acct", "u1", "m", std::nullopt, kT0);
  cairn::v1::Event milestone_grant =
      MakeConsentChange("acct", "u1", kMilestones, kGranted, kT0 - absl::Hours(2));
  cairn::v1::Event milestone_denial =
      MakeConsentChange("acct", "u1", kMilestones, kDenied, kT0 - absl::Minutes(1));
  BatchWriteResult result = Write({login, grant, milestone, milestone_grant, milestone_denial});
  EXPECT_THAT(result.outcomes,
              ElementsAre(EventOutcome::kInserted, EventOutcome::kInserted, EventOutcome::kRejected,
                          EventOutcome::kInserted, EventOutcome::kInserted));
  ASSERT_EQ(result.rejections.size(), 1u);
  EXPECT_EQ(result.rejections[0].index, 2u);
}

TEST_P(CollectorConsentStoreTest, GrantOfAnEarlierBatchInTheSameWriteCounts) {
  std::vector<BatchRecord> batches = {MakeRecord({MakeGrant("acct", "u1", kAnalytics)}),
                                      MakeRecord({MakeLogin("acct", "u1", kT0)})};
  auto results = store_->Write(batches);
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ((*results)[1].inserted, 1);
}

// One write judges many events of a user against the same records: events
// dated after the latest record, before it, and after a change that a later
// batch of the same write brings.
TEST_P(CollectorConsentStoreTest, EveryEventOfAWriteIsJudgedByTheRecordInForceThen) {
  Write({MakeConsentChange("acct", "u1", kAnalytics, kGranted, kT0 - absl::Hours(3))});
  Write({MakeConsentChange("acct", "u1", kAnalytics, kDenied, kT0 - absl::Hours(2))});
  Write({MakeConsentChange("acct", "u1", kAnalytics, kGranted, kT0 - absl::Hours(1))});
  std::vector<BatchRecord> batches = {
      MakeRecord({MakeLogin("acct", "u1", kT0), MakeLogin("acct", "u1", kT0 - absl::Minutes(150)),
                  MakeLogin("acct", "u1", kT0 - absl::Minutes(90)),
                  MakeLogin("acct", "u1", kT0 + absl::Minutes(1))}),
      MakeRecord({MakeConsentChange("acct", "u1", kAnalytics, kDenied, kT0 + absl::Minutes(30)),
                  MakeLogin("acct", "u1", kT0 + absl::Minutes(2)),
                  MakeLogin("acct", "u1", kT0 + absl::Minutes(31))}),
      MakeRecord({MakeLogin("acct", "u1", kT0 + absl::Minutes(3)),
                  MakeLogin("acct", "u1", kT0 + absl::Minutes(32))})};
  auto results = store_->Write(batches);
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_THAT((*results)[0].outcomes,
              ElementsAre(EventOutcome::kInserted, EventOutcome::kInserted, EventOutcome::kRejected,
                          EventOutcome::kInserted));
  EXPECT_THAT((*results)[1].outcomes, ElementsAre(EventOutcome::kInserted, EventOutcome::kInserted,
                                                  EventOutcome::kRejected));
  EXPECT_THAT((*results)[2].outcomes,
              ElementsAre(EventOutcome::kInserted, EventOutcome::kRejected));
}

// Both stores read the decisions back in (device time, stored order) for
// the consent rule: of two records dated alike, the one stored last wins.
TEST_P(CollectorConsentStoreTest, OfRecordsDatedAlikeTheOneStoredLastWins) {
  Write({MakeConsentChange("acct", "u1", kAnalytics, kGranted, kT0 - absl::Hours(1))});
  Write({MakeConsentChange("acct", "u1", kAnalytics, kDenied, kT0 - absl::Hours(1))});
  Write({MakeConsentChange("acct", "u2", kAnalytics, kDenied, kT0 - absl::Hours(1))});
  Write({MakeConsentChange("acct", "u2", kAnalytics, kGranted, kT0 - absl::Hours(1))});
  BatchWriteResult result = Write({MakeLogin("acct", "u1", kT0), MakeLogin("acct", "u2", kT0)});
  EXPECT_THAT(result.outcomes, ElementsAre(EventOutcome::kRejected, EventOutcome::kInserted));
}

TEST_P(CollectorConsentStoreTest, LateArrivingOlderWithdrawalLeavesTheLaterGrantInForce) {
  Write({MakeConsentChange("acct", "u1", kAnalytics, kGranted, kT0 - absl::Hours(1))});
  Write({MakeConsentChange("acct", "u1", kAnalytics, kDenied, kT0 - absl::Hours(2))});
  cairn::v1::Event after_grant = MakeLogin("acct", "u1", kT0);
  cairn::v1::Event after_denial = MakeLogin("acct", "u1", kT0 - absl::Minutes(90));
  cairn::v1::Event before_both = MakeLogin("acct", "u1", kT0 - absl::Hours(3));
  BatchWriteResult result = Write({after_grant, after_denial, before_both});
  EXPECT_THAT(result.outcomes, ElementsAre(EventOutcome::kInserted, EventOutcome::kRejected,
                                           EventOutcome::kRejected));
  EXPECT_TRUE(IsStored(after_grant));
  EXPECT_EQ(Rejections(kNoConsent), 2);
}

TEST_P(CollectorConsentStoreTest, ReplayedConsentChangeAppendsNoSecondRecord) {
  cairn::v1::Event grant = MakeGrant("acct", "u1", kAnalytics);
  Write({grant});
  BatchWriteResult again = Write({grant});
  EXPECT_EQ(again.duplicates, 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_records"), 1);
}

TEST_P(CollectorConsentStoreTest, CurrentStateFollowsTheLatestDecisionByDeviceTime) {
  Write({MakeConsentChange("acct", "u1", kAnalytics, kDenied, kT0)});
  // Arrives later but was made earlier: history, not the current state.
  Write({MakeConsentChange("acct", "u1", kAnalytics, kGranted, kT0 - absl::Hours(1))});
  EXPECT_EQ(QueryInt("SELECT decision FROM consent_state WHERE user_id = ?1", "u1"), 2);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_records WHERE user_id = ?1", "u1"), 2);
}

TEST_P(CollectorConsentStoreTest, ExportHasEveryEventAndConsentRecordOfTheUser) {
  std::vector<cairn::v1::Event> events = {MakeGrant("acct", "u1", kAnalytics),
                                          MakeConsentChange("acct", "u1", kRenewal, kDenied, kT0)};
  for (int i = 0; i < 300; ++i) events.push_back(MakeLogin("acct", "u1", kT0 - absl::Seconds(i)));
  events.push_back(MakeGrant("acct", "u2", kAnalytics));
  events.push_back(MakeLogin("acct", "u2", kT0));
  EXPECT_EQ(Write(std::move(events)).inserted, 304);

  auto exported = store_->ExportUser("u1", 1000);
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_FALSE(exported->truncated);
  EXPECT_EQ(exported->events.size(), 302u);  // 300 logins and 2 consent changes
  for (const StoredEvent& stored : exported->events) {
    EXPECT_EQ(stored.event.user_id(), "u1");
    EXPECT_EQ(stored.received_at, kT0);
  }
  ASSERT_EQ(exported->consent_records.size(), 2u);
  EXPECT_EQ(exported->consent_records[0].record.purpose, consent::Purpose::kUsageAnalytics);
  EXPECT_EQ(exported->consent_records[1].record.decision, consent::Decision::kDenied);
  EXPECT_EQ(exported->consent_records[1].record.policy_version, "2025-01");
  EXPECT_EQ(exported->consent_records[1].record.collector_time, kT0);

  auto limited = store_->ExportUser("u1", 10);
  ASSERT_TRUE(limited.ok());
  EXPECT_TRUE(limited->truncated);
  EXPECT_EQ(limited->events.size(), 10u);
}

TEST_P(CollectorConsentStoreTest, EraseRemovesEverythingAndDropsLaterEventsOfTheUser) {
  std::vector<cairn::v1::Event> events = {MakeGrant("acct", "u1", kAnalytics),
                                          MakeGrant("acct", "u1", kRenewal),
                                          MakeGrant("acct", "u2", kAnalytics)};
  for (int i = 0; i < 5; ++i) events.push_back(MakeLogin("acct", "u1", kT0 - absl::Hours(i)));
  cairn::v1::Event other = MakeLogin("acct", "u2", kT0);
  events.push_back(other);
  Write(std::move(events));

  auto erased = store_->EraseUser("u1", kT0);
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->events_deleted, 7);  // 5 logins and 2 consent changes
  EXPECT_EQ(erased->consent_states_deleted, 2);
  EXPECT_EQ(erased->consent_records_pseudonymised, 2);
  EXPECT_FALSE(erased->already_erased);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM events WHERE user_id = ?1", "u1"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_records WHERE user_id = ?1", "u1"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_records WHERE user_hash = ?1", UserHash("u1")),
            2);
  EXPECT_TRUE(IsStored(other));
  auto exported = store_->ExportUser("u1", 100);
  ASSERT_TRUE(exported.ok());
  EXPECT_THAT(exported->events, IsEmpty());
  EXPECT_THAT(exported->consent_records, IsEmpty());

  // Late offline events, dated before and after the erasure, and a new grant.
  BatchWriteResult late = Write({MakeLogin("acct", "u1", kT0 - absl::Hours(10)),
                                 MakeLogin("acct", "u1", kT0 + absl::Hours(1)),
                                 MakeGrant("acct", "u1", kAnalytics, kT0 + absl::Hours(1))});
  EXPECT_EQ(late.inserted, 0);
  ASSERT_EQ(late.rejections.size(), 3u);
  for (const StoreRejection& r : late.rejections) EXPECT_EQ(r.reason, kErased);
  EXPECT_EQ(Rejections(kErased), 3);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM events WHERE user_id = ?1", "u1"), 0);

  auto again = store_->EraseUser("u1", kT0 + absl::Hours(2));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_erased);
  EXPECT_EQ(store_->Summarize()->erased_users, 1);
}

TEST_P(CollectorConsentStoreTest, RecipientsAreLiveRenewalGrantsOfTheAccountOnly) {
  Write({MakeGrant("acct", "alice", kRenewal), MakeGrant("acct", "bob", kRenewal),
         MakeGrant("acct", "carol", kRenewal),
         MakeConsentChange("acct", "dave", kRenewal, kGranted, kT0 - absl::Hours(2), "v1",
                           kT0 - absl::Hours(1)),  // expired
         MakeGrant("other", "erin", kRenewal), MakeGrant("acct", "frank", kAnalytics)});
  EXPECT_THAT(Recipients("acct"), ElementsAre("alice", "bob", "carol"));
  EXPECT_THAT(Recipients("other"), ElementsAre("erin"));

  auto first = store_->RenewalRecipients("acct", "", 2, kT0);
  ASSERT_TRUE(first.ok());
  EXPECT_THAT(first->user_ids, ElementsAre("alice", "bob"));
  ASSERT_TRUE(first->next_after.has_value());
  auto second = store_->RenewalRecipients("acct", *first->next_after, 2, kT0);
  ASSERT_TRUE(second.ok());
  EXPECT_THAT(second->user_ids, ElementsAre("carol"));
  EXPECT_FALSE(second->next_after.has_value());
}

TEST_P(CollectorConsentStoreTest, OptedOutUsersNeverBecomeRecipients) {
  Write({MakeGrant("acct", "alice", kRenewal), MakeGrant("acct", "bob", kRenewal),
         MakeGrant("acct", "bob", kAnalytics)});
  Write({MakeConsentChange("acct", "bob", kRenewal, kDenied, kT0)});
  EXPECT_THAT(Recipients("acct"), ElementsAre("alice"));
  EXPECT_EQ(
      QueryInt("SELECT count(*) FROM renewal_suppression WHERE user_hash = ?1", UserHash("bob")),
      1);

  // New events do not bring bob back; nor does a grant made before the opt-out.
  Write({MakeLogin("acct", "bob", kT0 + absl::Minutes(1)),
         MakeConsentChange("acct", "bob", kRenewal, kGranted, kT0 - absl::Minutes(1))});
  EXPECT_THAT(Recipients("acct"), ElementsAre("alice"));

  // Erased: the suppression entry stays, and nothing of bob is listed.
  ASSERT_TRUE(store_->EraseUser("bob", kT0 + absl::Hours(1)).ok());
  EXPECT_THAT(Recipients("acct"), ElementsAre("alice"));
  EXPECT_EQ(
      QueryInt("SELECT count(*) FROM renewal_suppression WHERE user_hash = ?1", UserHash("bob")),
      1);
  Write({MakeLogin("acct", "bob", kT0 + absl::Hours(2)),
         MakeGrant("acct", "bob", kRenewal, kT0 + absl::Hours(2))});
  EXPECT_THAT(Recipients("acct"), ElementsAre("alice"));
  EXPECT_EQ(store_->Summarize()->suppressed_users, 1);
}

TEST_P(CollectorConsentStoreTest, ALaterGrantLiftsTheOptOut) {
  Write({MakeConsentChange("acct", "bob", kRenewal, kDenied, kT0 - absl::Hours(1))});
  EXPECT_THAT(Recipients("acct"), IsEmpty());
  // Without a signature ingest verified, a later grant is proof only.
  BatchWriteResult unsigned_grant =
      Write({MakeConsentChange("acct", "bob", kRenewal, kGranted, kT0 - absl::Minutes(1))});
  EXPECT_EQ(unsigned_grant.inserted, 1);
  EXPECT_EQ(unsigned_grant.suppressions_kept, 1);
  EXPECT_THAT(Recipients("acct"), IsEmpty());
  BatchRecord verified = MakeRecord({MakeConsentChange("acct", "bob", kRenewal, kGranted, kT0)});
  verified.verified_grants = {0};
  EXPECT_EQ(Write(verified).suppressions_kept, 0);
  EXPECT_THAT(Recipients("acct"), ElementsAre("bob"));
}

TEST_P(CollectorConsentStoreTest, RetentionPurgeRemovesOldEventsAndKeepsYoungOnes) {
  std::vector<cairn::v1::Event> events = {
      MakeGrant("acct", "u1", kAnalytics, kT0 - absl::Hours(24 * 60))};
  std::vector<cairn::v1::Event> old_events, young_events;
  for (int i = 0; i < 7; ++i) {
    old_events.push_back(MakeLogin("acct", "u1", kT0 - absl::Hours(24 * 40) - absl::Minutes(i)));
    young_events.push_back(MakeLogin("acct", "u1", kT0 - absl::Hours(24 * 10) - absl::Minutes(i)));
  }
  events.insert(events.end(), old_events.begin(), old_events.end());
  events.insert(events.end(), young_events.begin(), young_events.end());
  EXPECT_EQ(Write(std::move(events)).inserted, 15);

  RetentionOptions retention;
  retention.keep = absl::Hours(24 * 30);
  retention.chunk_rows = 3;  // several chunks
  auto deleted = PurgeExpiredEvents(*store_, kT0, retention);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 8);  // the old logins and the 60-day-old grant event
  for (const auto& e : old_events) EXPECT_FALSE(IsStored(e));
  for (const auto& e : young_events) EXPECT_TRUE(IsStored(e));
  // The consent record stays (proof), and still covers new events.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_records"), 1);
  EXPECT_EQ(Write({MakeLogin("acct", "u1", kT0)}).inserted, 1);

  retention.keep = absl::ZeroDuration();  // off
  EXPECT_EQ(*PurgeExpiredEvents(*store_, kT0 + absl::Hours(24 * 365), retention), 0);
}

TEST_P(CollectorConsentStoreTest, HashKeyIsKeptAndAChangedKeyIsRefused) {
  std::string generated = UserHash("u1");
  Open();
  EXPECT_EQ(UserHash("u1"), generated);  // the generated key persisted
  store_.reset();
  EXPECT_EQ(db_->Open("a-different-secret-key").status().code(),
            absl::StatusCode::kFailedPrecondition);
  NewDatabase();
  EXPECT_EQ(db_->Open("short").status().code(), absl::StatusCode::kInvalidArgument);

  Open("configured-secret-key-0123456789");
  std::string keyed = UserHash("u1");
  EXPECT_NE(keyed, generated);
  Open("configured-secret-key-0123456789");
  EXPECT_EQ(UserHash("u1"), keyed);
  store_.reset();
  EXPECT_EQ(db_->Open("").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_P(CollectorConsentStoreTest, ClientIpAndUserAgentAreStoredOnlyWhenGiven) {
  BatchRecord plain = MakeRecord({});
  Write(plain);
  BatchRecord with = MakeRecord({});
  with.client_ip = "192.0.2.7";
  with.user_agent = "cairn-sdk/1.2.3";
  Write(with);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM batches WHERE client_ip IS NULL AND user_agent IS NULL "
                     "AND batch_id = ?1",
                     plain.batch_id),
            1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM batches WHERE client_ip = '192.0.2.7' AND "
                     "user_agent = 'cairn-sdk/1.2.3' AND batch_id = ?1",
                     with.batch_id),
            1);
}

}  // namespace
}  // namespace cairn::collector
