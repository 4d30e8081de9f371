// Consent and GDPR on the device: default deny, persisted decisions and
// their delivery as ConsentChange events, withdrawal, renewal opt-out,
// pseudonymisation, attribute minimisation, local export and erasure.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "cairn/client.h"
#include "cairn/common/clock.h"
#include "cairn/common/crypto.h"
#include "cairn/common/sqlite.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "sdk_fixture.h"

namespace cairn {
namespace {

using consent::Decision;
using consent::Purpose;
using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kPolicy[] = "2026-11";

absl::StatusOr<HttpResponse> Unreachable(int, const cairn::v1::Batch&) {
  return absl::UnavailableError("connection refused");
}

class ConsentTest : public cairn::testing::SdkTest {
 protected:
  Options MakeOptions() {
    Options o = FakeCollectorOptions();
    o.min_backoff = absl::Milliseconds(5);
    o.max_backoff = absl::Milliseconds(20);
    return o;
  }

  std::string StorageDir() const { return dir_.File("sdk"); }

  // The names of the files in the storage directory.
  std::set<std::string> StorageFiles() const {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(StorageDir(), ec)) {
      names.insert(entry.path().filename().string());
    }
    return names;
  }

  // Buffered events per (user, purpose) read straight from the SQLite file.
  int64_t BufferedCount(const std::string& user, cairn::v1::Purpose purpose) {
    auto db = sqlite::Database::Open(StorageDir() + "/cairn-buffer.db");
    EXPECT_TRUE(db.ok());
    auto count = (*db)->Prepare("SELECT count(*) FROM events WHERE user_id = ? AND purpose = ?");
    EXPECT_TRUE(count.ok());
    count->Bind(1, user).Bind(2, static_cast<int64_t>(purpose));
    EXPECT_TRUE(*count->Step());
    return count->ColumnInt(0);
  }

  // Every byte of every file in the storage directory, concatenated.
  std::string StorageBytes() const {
    std::string all;
    for (const std::string& name : StorageFiles()) {
      std::ifstream in(StorageDir() + "/" + name, std::ios::binary);
      all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return all;
  }

  std::vector<cairn::v1::Event> ConsentChangesReceived() const { return ReceivedEvents(true); }

  static absl::Time Soon() { return absl::Now() + absl::Seconds(20); }

  // FlushUntilDelivered for a client on a ManualClock: moves time past each
  // backoff.
  static absl::Status FlushAdvancing(Client& client, ManualClock& clock) {
    absl::Status s;
    for (int i = 0; i < 200; ++i) {
      clock.Advance(absl::Seconds(1));
      s = client.Flush(Soon());
      if (s.ok()) return s;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return s;
  }
};

TEST_F(ConsentTest, FreshInstallWithoutADecisionStoresAndSendsNothing) {
  auto client = MakeClient(MakeOptions());
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->RecordLogin("acme", "alice").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(client->RecordMilestone("invoice_sent").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(client->RecordSessionEnd().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(client->GetConsent("alice", Purpose::kMilestones), Decision::kUnknown);
  ASSERT_TRUE(client->Flush(Soon()).ok());
  ASSERT_TRUE(client->Shutdown(Soon()).ok());
  EXPECT_TRUE(std::filesystem::is_directory(StorageDir()));
  // No event buffer, no install id (it lives in the buffer), no consent file.
  EXPECT_THAT(StorageFiles(), ::testing::IsEmpty());
  EXPECT_EQ(fake_->posts(), 0);
  EXPECT_EQ(client->GetStats().refused_no_consent, 3u);

  // A restart does not create them either.
  client = MakeClient(MakeOptions());
  ASSERT_TRUE(client->Shutdown(Soon()).ok());
  EXPECT_THAT(StorageFiles(), ::testing::IsEmpty());
  EXPECT_EQ(fake_->posts(), 0);
}

TEST_F(ConsentTest, ADenialIsPersistedAndReachesTheCollectorExactlyOnceAcrossRestarts) {
  fake_->SetScript(Unreachable);
  {
    auto client = MakeClient(MakeOptions());
    ASSERT_TRUE(Withdraw(*client, "acme", "alice", Purpose::kUsageAnalytics, kPolicy).ok());
    EXPECT_EQ(client->GetStats().consent_changes_pending, 1u);
    EXPECT_EQ(client->Flush(Soon()).code(), absl::StatusCode::kUnavailable);
    client->Shutdown(Soon()).IgnoreError();
  }
  // Persisted; still no buffer and no identifier.
  std::set<std::string> files = StorageFiles();
  EXPECT_TRUE(files.count("consent.db"));
  EXPECT_FALSE(files.count("cairn-buffer.db"));
  for (const std::string& name : files) EXPECT_EQ(name.rfind("consent.db", 0), 0u) << name;
  ASSERT_GE(fake_->posts(), 1);  // the attempt that failed

  fake_->SetScript(nullptr);
  {
    auto client = MakeClient(MakeOptions());
    EXPECT_EQ(client->GetConsent("alice", Purpose::kUsageAnalytics), Decision::kDenied);
    EXPECT_EQ(client->RecordLogin("acme", "alice").code(), absl::StatusCode::kPermissionDenied);
    ASSERT_TRUE(FlushUntilDelivered(*client).ok());
    EXPECT_EQ(client->GetStats().consent_changes_pending, 0u);
    ASSERT_TRUE(client->Shutdown(Soon()).ok());
  }
  const int posts_after_delivery = fake_->posts();
  {
    auto client = MakeClient(MakeOptions());
    ASSERT_TRUE(client->Flush(Soon()).ok());
    ASSERT_TRUE(client->Shutdown(Soon()).ok());
  }
  EXPECT_EQ(fake_->posts(), posts_after_delivery);  // nothing resent after the ack

  ASSERT_EQ(fake_->stored_consent_ids().size(), 1u);
  EXPECT_TRUE(fake_->stored_ids().empty());
  std::vector<cairn::v1::Event> changes = ConsentChangesReceived();
  ASSERT_EQ(changes.size(), 1u);  // the same event id in every attempt
  const cairn::v1::Event& e = changes[0];
  EXPECT_EQ(e.purpose(), cairn::v1::PURPOSE_CONSENT_RECORD);
  EXPECT_EQ(e.account_id(), "acme");
  EXPECT_EQ(e.user_id(), "alice");
  EXPECT_TRUE(e.has_occurred_at());
  EXPECT_EQ(e.consent_change().purpose(), cairn::v1::PURPOSE_USAGE_ANALYTICS);
  EXPECT_EQ(e.consent_change().decision(), cairn::v1::CONSENT_DECISION_DENIED);
  EXPECT_EQ(e.consent_change().policy_version(), kPolicy);
  EXPECT_EQ(e.consent_change().policy_id(), "privacy-policy");
  EXPECT_EQ(e.consent_change().source_surface(), "test");
  for (const cairn::v1::Batch& b : fake_->batches()) {
    EXPECT_TRUE(b.client().install_id().empty());  // sent without a device identifier
  }
}

TEST_F(ConsentTest, ConsentRequestsAreValidated) {
  auto client = MakeClient(MakeOptions());
  ConsentRequest ok = Decide("acme", "alice", Purpose::kMilestones, Decision::kGranted);
  auto with = [&](auto edit) {
    ConsentRequest r = ok;
    edit(r);
    return client->SetConsent(r).code();
  };
  using absl::StatusCode;
  EXPECT_EQ(with([](ConsentRequest& r) { r.policy_version.clear(); }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](ConsentRequest& r) { r.account_id.clear(); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](ConsentRequest& r) { r.user_id.clear(); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](ConsentRequest& r) { r.purpose = Purpose::kConsentRecord; }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](ConsentRequest& r) { r.decision = Decision::kUnknown; }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](ConsentRequest& r) { r.source_surface = std::string(129, 's'); }),
            StatusCode::kInvalidArgument);
  // Nothing was persisted by the refused calls.
  EXPECT_THAT(StorageFiles(), ::testing::IsEmpty());
  EXPECT_EQ(with([](ConsentRequest&) {}), StatusCode::kOk);
  EXPECT_TRUE(StorageFiles().count("cairn-buffer.db"));  // the first grant creates it
}

TEST_F(ConsentTest, AGrantTravelsInTheSameOrAnEarlierBatchThanTheEventsItAllows) {
  Options o = MakeOptions();
  o.max_batch_events = 2;
  auto client = MakeClient(o);
  ASSERT_TRUE(Grant(*client, "acme", "alice", Purpose::kUsageAnalytics).ok());
  ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
  ASSERT_TRUE(Grant(*client, "acme", "alice", Purpose::kMilestones).ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client->RecordMilestone("m", i).ok());
  ASSERT_TRUE(client->Flush(Soon()).ok());
  std::map<cairn::v1::Purpose, size_t> grant_batch;
  std::vector<cairn::v1::Batch> batches = fake_->batches();
  for (size_t i = 0; i < batches.size(); ++i) {
    EXPECT_LE(batches[i].events_size(), 2);
    for (const cairn::v1::Event& e : batches[i].events()) {
      if (e.has_consent_change()) {
        grant_batch.emplace(e.consent_change().purpose(), i);
        continue;
      }
      ASSERT_TRUE(grant_batch.count(e.purpose())) << "an event went before its grant";
      EXPECT_LE(grant_batch[e.purpose()], i);
    }
  }
  EXPECT_EQ(fake_->stored_ids().size(), 6u);
  EXPECT_EQ(fake_->stored_consent_ids().size(), 2u);
}

TEST_F(ConsentTest, WithdrawalDeletesThatPurposesUnsentEventsAtOnceAndOthersStillFlow) {
  fake_->SetScript(Unreachable);
  auto client = MakeClient(MakeOptions());
  for (const char* user : {"alice", "bob"}) {
    ASSERT_TRUE(Grant(*client, "acme", user, Purpose::kUsageAnalytics).ok());
    ASSERT_TRUE(Grant(*client, "acme", user, Purpose::kMilestones).ok());
  }
  constexpr int kN = 25;
  ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
  for (int i = 0; i < kN; ++i) ASSERT_TRUE(client->RecordMilestone("alice_m", i).ok());
  ASSERT_TRUE(client->RecordSessionEnd().ok());
  ASSERT_TRUE(client->RecordLogin("acme", "bob").ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->RecordMilestone("bob_m", i).ok());
  // Durable, and a batch holding alice's milestones is waiting to be retried.
  EXPECT_EQ(client->Flush(Soon()).code(), absl::StatusCode::kUnavailable);
  ASSERT_EQ(BufferedCount("alice", cairn::v1::PURPOSE_MILESTONES), kN);

  ASSERT_TRUE(Withdraw(*client, "acme", "alice", Purpose::kMilestones).ok());
  // Before the call returned, every unsent milestone of alice was deleted.
  EXPECT_EQ(BufferedCount("alice", cairn::v1::PURPOSE_MILESTONES), 0);
  EXPECT_EQ(BufferedCount("alice", cairn::v1::PURPOSE_USAGE_ANALYTICS), 2);
  EXPECT_EQ(BufferedCount("bob", cairn::v1::PURPOSE_MILESTONES), 3);
  EXPECT_EQ(client->GetStats().dropped[cairn::v1::DROP_REASON_CONSENT_WITHDRAWN],
            static_cast<uint64_t>(kN));

  const size_t attempts_before = fake_->batches().size();
  // The drops each answered batch reported, once per batch id. The sender may
  // have counted some of the withdrawn rows itself (it filters what it reads
  // against consent) while the withdrawal purged the rest, so the report can
  // arrive split across batches: what matters is the sum.
  // Shared, so a post still running when the test ends finds it alive.
  struct Answered {
    std::mutex mu;
    std::map<std::string, uint64_t> withdrawn_by_batch;
  };
  auto answered = std::make_shared<Answered>();
  testing::FakeCollector* const collector = fake_.get();
  fake_->SetScript([answered, collector](int, const cairn::v1::Batch& batch) {
    uint64_t withdrawn = 0;
    for (const auto& d : batch.dropped()) {
      if (d.reason() == cairn::v1::DROP_REASON_CONSENT_WITHDRAWN) withdrawn += d.count();
    }
    {
      std::lock_guard lock(answered->mu);
      answered->withdrawn_by_batch.emplace(batch.batch_id(), withdrawn);
    }
    return collector->Accept(batch);
  });
  ASSERT_TRUE(FlushUntilDelivered(*client).ok());
  std::vector<cairn::v1::Batch> batches = fake_->batches();
  std::vector<std::string> delivered;
  std::set<std::string> seen;  // an attempt that failed is resent: count each event once
  bool withdrawal_sent = false;
  for (size_t i = attempts_before; i < batches.size(); ++i) {
    for (const cairn::v1::Event& e : batches[i].events()) {
      if (!seen.insert(e.event_id()).second) continue;
      if (e.has_consent_change()) {
        withdrawal_sent |= e.user_id() == "alice" &&
                           e.consent_change().purpose() == cairn::v1::PURPOSE_MILESTONES &&
                           e.consent_change().decision() == cairn::v1::CONSENT_DECISION_DENIED;
        continue;
      }
      EXPECT_FALSE(e.user_id() == "alice" && e.has_milestone()) << "a withdrawn event was sent";
      delivered.push_back(e.user_id() + (e.has_milestone() ? ":milestone" : ":usage"));
    }
  }
  EXPECT_TRUE(withdrawal_sent);
  EXPECT_THAT(delivered, UnorderedElementsAre("alice:usage", "alice:usage", "bob:usage",
                                              "bob:milestone", "bob:milestone", "bob:milestone"));
  EXPECT_EQ(fake_->stored_ids().size(), 6u);
  // The collector is told of every withdrawn event, and of none twice.
  uint64_t reported = 0;
  {
    std::lock_guard lock(answered->mu);
    for (const auto& [id, count] : answered->withdrawn_by_batch) reported += count;
  }
  EXPECT_EQ(reported, static_cast<uint64_t>(kN));
}

TEST_F(ConsentTest, WithdrawalDropsEventsStillQueuedInMemory) {
  ManualClock clock;
  Options o = MakeOptions();
  o.clock = &clock;
  o.commit_interval = absl::Hours(1);  // the writer holds off: events stay queued
  auto client = MakeClient(o);
  ASSERT_TRUE(Grant(*client, "acme", "alice", Purpose::kUsageAnalytics).ok());
  ASSERT_TRUE(Grant(*client, "acme", "alice", Purpose::kMilestones).ok());
  ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(client->RecordMilestone("m", i).ok());
  ASSERT_TRUE(Withdraw(*client, "acme", "alice", Purpose::kMilestones).ok());
  ASSERT_TRUE(client->Flush(Soon()).ok());
  EXPECT_EQ(BufferedCount("alice", cairn::v1::PURPOSE_MILESTONES), 0);
  for (const cairn::v1::Event& e : ReceivedEvents()) EXPECT_FALSE(e.has_milestone());
  EXPECT_EQ(fake_->stored_ids().size(), 1u);  // the login
  Stats stats = client->GetStats();
  EXPECT_EQ(stats.dropped[cairn::v1::DROP_REASON_CONSENT_WITHDRAWN], 10u);
  EXPECT_EQ(stats.persisted, 1u);
}

TEST_F(ConsentTest, ConsentIsCheckedAgainJustBeforeSending) {
  ManualClock clock;
  Options o = MakeOptions();
  o.clock = &clock;
  o.upload_interval = absl::Hours(1);  // nothing leaves before the grant expires
  auto client = MakeClient(o);
  ASSERT_TRUE(Grant(*client, "acme", "alice", Purpose::kUsageAnalytics).ok());
  ConsentRequest expiring = Decide("acme", "alice", Purpose::kMilestones, Decision::kGranted);
  expiring.expires_at = clock.Now() + absl::Minutes(30);
  ASSERT_TRUE(client->SetConsent(expiring).ok());
  ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->RecordMilestone("m", i).ok());
  // Recorded while allowed and durable; then the grant runs out.
  clock.Advance(absl::Hours(2));
  EXPECT_EQ(client->GetConsent("alice", Purpose::kMilestones), Decision::kUnknown);
  ASSERT_TRUE(client->Flush(Soon()).ok());
  std::vector<cairn::v1::Event> events = ReceivedEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].has_login());
  Stats stats = client->GetStats();
  EXPECT_EQ(stats.persisted, 4u);
  EXPECT_EQ(stats.dropped[cairn::v1::DROP_REASON_CONSENT_WITHDRAWN], 3u);
  EXPECT_EQ(stats.buffered_rows, 0u);
}

TEST_F(ConsentTest, RenewalOptOutIsRecordedAndSent) {
  auto client = MakeClient(MakeOptions());
  EXPECT_EQ(client->GetConsent("alice", Purpose::kRenewalNotifications), Decision::kUnknown);
  ASSERT_TRUE(client->SetRenewalNotifications("acme", "alice", true, kPolicy).ok());
  ASSERT_TRUE(client->SetRenewalNotifications("acme", "alice", false, kPolicy).ok());
  EXPECT_EQ(client->GetConsent("alice", Purpose::kRenewalNotifications), Decision::kDenied);
  ASSERT_TRUE(client->Flush(Soon()).ok());
  std::vector<cairn::v1::Event> changes = ConsentChangesReceived();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].consent_change().purpose(), cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS);
  EXPECT_EQ(changes[1].consent_change().decision(), cairn::v1::CONSENT_DECISION_DENIED);
  EXPECT_EQ(changes[1].consent_change().policy_version(), kPolicy);
  EXPECT_EQ(changes[1].consent_change().source_surface(), "settings");
  EXPECT_LT(changes[0].occurred_at().seconds() * 1000000000 + changes[0].occurred_at().nanos(),
            changes[1].occurred_at().seconds() * 1000000000 + changes[1].occurred_at().nanos());
  // Renewal notifications record no events: no buffer, no identifier.
  EXPECT_FALSE(StorageFiles().count("cairn-buffer.db"));
}

TEST_F(ConsentTest, TheVendorsSoftOptInDefaultIsRecordedOnceAndTheOptOutOverridesIt) {
  Options o = MakeOptions();
  o.renewal_notifications_default = Options::RenewalDefault::kSoftOptIn;
  o.renewal_default_policy_id = "renewals";
  o.renewal_default_policy_version = "r-7";
  {
    auto client = MakeClient(o);
    // Identified at login: the default is recorded even though the login
    // itself is refused for lack of usage-analytics consent.
    EXPECT_EQ(client->RecordLogin("acme", "carol").code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(client->GetConsent("carol", Purpose::kRenewalNotifications), Decision::kGranted);
    ASSERT_TRUE(client->RecordLogin("acme", "carol").code() == absl::StatusCode::kPermissionDenied);
    ASSERT_TRUE(client->SetRenewalNotifications("acme", "carol", false, kPolicy).ok());
    ASSERT_TRUE(client->Flush(Soon()).ok());
  }
  {
    auto client = MakeClient(o);
    EXPECT_EQ(client->GetConsent("carol", Purpose::kRenewalNotifications), Decision::kDenied);
    EXPECT_EQ(client->RecordLogin("acme", "carol").code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(client->GetConsent("carol", Purpose::kRenewalNotifications), Decision::kDenied);
    // A user identified first through a consent call gets the default too,
    // unless that call is about renewals itself.
    ASSERT_TRUE(Grant(*client, "acme", "dave", Purpose::kMilestones).ok());
    EXPECT_EQ(client->GetConsent("dave", Purpose::kRenewalNotifications), Decision::kGranted);
    ASSERT_TRUE(client->SetRenewalNotifications("acme", "erin", false, kPolicy).ok());
    ASSERT_TRUE(client->Flush(Soon()).ok());
  }
  std::vector<std::string> seen;
  for (const cairn::v1::Event& e : ConsentChangesReceived()) {
    if (e.consent_change().purpose() != cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS) continue;
    const auto& c = e.consent_change();
    seen.push_back(e.user_id() + ":" + c.source_surface() + ":" + c.policy_version() + ":" +
                   (c.decision() == cairn::v1::CONSENT_DECISION_GRANTED ? "granted" : "denied"));
    // Marked on the wire, so the collector never lets a default undo an
    // objection.
    EXPECT_EQ(c.origin(), c.source_surface() == "vendor_default"
                              ? cairn::v1::CONSENT_ORIGIN_VENDOR_DEFAULT
                              : cairn::v1::CONSENT_ORIGIN_USER_ACTION);
  }
  EXPECT_THAT(seen, ElementsAre("carol:vendor_default:r-7:granted", "carol:settings:2026-11:denied",
                                "dave:vendor_default:r-7:granted", "erin:settings:2026-11:denied"));

  Options bad = MakeOptions();
  bad.renewal_notifications_default = Options::RenewalDefault::kSoftOptIn;
  EXPECT_EQ(Client::Create(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ConsentTest, ASignedGrantTravelsWithItsSignatureAndTheDefaultSurfaceIsReserved) {
  auto client = MakeClient(MakeOptions());
  ConsentRequest as_default =
      Decide("acme", "alice", Purpose::kRenewalNotifications, Decision::kGranted);
  as_default.source_surface = "vendor_default";
  EXPECT_EQ(client->SetConsent(as_default).code(), absl::StatusCode::kInvalidArgument);
  ConsentRequest half = Decide("acme", "alice", Purpose::kRenewalNotifications, Decision::kGranted);
  half.grant_signature = std::string(64, 'a');  // without signed_at
  EXPECT_EQ(client->SetConsent(half).code(), absl::StatusCode::kInvalidArgument);

  ConsentRequest signed_grant =
      Decide("acme", "alice", Purpose::kRenewalNotifications, Decision::kGranted);
  signed_grant.signed_at = absl::FromUnixSeconds(1790000000);
  signed_grant.grant_signature = std::string(64, 'b');
  ASSERT_TRUE(client->SetConsent(signed_grant).ok());
  ASSERT_TRUE(client->Flush(Soon()).ok());
  std::vector<cairn::v1::Event> changes = ConsentChangesReceived();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].consent_change().grant_signature(), signed_grant.grant_signature);
  EXPECT_EQ(changes[0].consent_change().signed_at().seconds(), 1790000000);
}

TEST_F(ConsentTest, PseudonymisedUserIdsNeverLeaveOrStayOnTheDeviceInPlain) {
  const std::string plain = "alice.plain@example.com";
  const std::string key = "vendor-held-secret";
  const std::string hashed = ToHex(HmacSha256(key, plain));
  Options o = MakeOptions();
  o.user_id_hmac_key = key;
  o.attribute_allowlist = {"plan"};
  {
    auto client = MakeClient(o);
    EXPECT_EQ(client->WireUserId(plain), hashed);
    ASSERT_TRUE(Grant(*client, "acme", plain, Purpose::kUsageAnalytics).ok());
    ASSERT_TRUE(Grant(*client, "acme", plain, Purpose::kMilestones).ok());
    ASSERT_TRUE(client->SetRenewalNotifications("acme", plain, false, kPolicy).ok());
    EXPECT_EQ(client->GetConsent(plain, Purpose::kMilestones), Decision::kGranted);
    ASSERT_TRUE(client->RecordLogin("acme", plain).ok());
    ASSERT_TRUE(client->RecordMilestone("invoice_sent", 1, {{"plan", "pro"}}).ok());
    ASSERT_TRUE(client->Flush(Soon()).ok());
    // Leave one event buffered so the file holds an event too.
    fake_->SetScript(Unreachable);
    ASSERT_TRUE(client->RecordMilestone("project_created").ok());
    EXPECT_EQ(client->Flush(Soon()).code(), absl::StatusCode::kUnavailable);
    absl::StatusOr<std::string> exported = client->ExportLocalData(plain);
    ASSERT_TRUE(exported.ok());
    EXPECT_THAT(*exported, ::testing::HasSubstr(hashed));
    EXPECT_THAT(*exported, ::testing::HasSubstr("project_created"));
    EXPECT_THAT(*exported, ::testing::Not(::testing::HasSubstr(plain)));
    client->Shutdown(Soon()).IgnoreError();
  }
  EXPECT_EQ(BufferedCount(hashed, cairn::v1::PURPOSE_MILESTONES), 1);
  const std::string files = StorageBytes();
  EXPECT_THAT(files, ::testing::HasSubstr(hashed));
  EXPECT_EQ(files.find(plain), std::string::npos) << "the plain user id is in a device file";
  size_t events = 0;
  for (const cairn::v1::Batch& b : fake_->batches()) {
    EXPECT_EQ(b.SerializeAsString().find(plain), std::string::npos);
    for (const cairn::v1::Event& e : b.events()) {
      EXPECT_EQ(e.user_id(), hashed);
      ++events;
    }
  }
  EXPECT_GE(events, 5u);  // three consent changes, the login, the milestone
}

TEST_F(ConsentTest, AttributesOutsideTheAllowlistNeverReachTheBufferOrTheCollector) {
  fake_->SetScript(Unreachable);
  Options o = MakeOptions();
  o.attribute_allowlist = {"plan", "seats"};
  auto client = MakeClient(o);
  ASSERT_TRUE(Grant(*client, "acme", "alice", Purpose::kUsageAnalytics).ok());
  ASSERT_TRUE(Grant(*client, "acme", "alice", Purpose::kMilestones).ok());
  ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
  ASSERT_TRUE(client
                  ->RecordMilestone("invoice_sent", 1,
                                    {{"plan", "pro"},
                                     {"customer_email", "bob.secret@example.com"},
                                     {"seats", std::string(300, '9')}})
                  .ok());
  EXPECT_EQ(client->Flush(Soon()).code(), absl::StatusCode::kUnavailable);  // durable
  const std::string files = StorageBytes();
  EXPECT_EQ(files.find("customer_email"), std::string::npos);
  EXPECT_EQ(files.find("bob.secret@example.com"), std::string::npos);
  EXPECT_EQ(files.find(std::string(300, '9')), std::string::npos);

  fake_->SetScript(nullptr);
  ASSERT_TRUE(FlushUntilDelivered(*client).ok());
  for (const cairn::v1::Batch& b : fake_->batches()) {
    EXPECT_EQ(b.SerializeAsString().find("bob.secret@example.com"), std::string::npos);
  }
  std::vector<cairn::v1::Event> events = ReceivedEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_THAT(events[1].attributes(), ElementsAre(Pair("plan", "pro")));
  EXPECT_EQ(client->GetStats().dropped[cairn::v1::DROP_REASON_ATTRIBUTE_FILTERED], 2u);

  Options too_wide = MakeOptions();
  for (int i = 0; i < 33; ++i) too_wide.attribute_allowlist.insert("k" + std::to_string(i));
  EXPECT_EQ(Client::Create(too_wide).status().code(), absl::StatusCode::kInvalidArgument);
  Options bad_key = MakeOptions();
  bad_key.attribute_allowlist = {"has space"};
  EXPECT_EQ(Client::Create(bad_key).status().code(), absl::StatusCode::kInvalidArgument);
}

// The top-level objects of the JSON array that follows `"<key>":[` in
// `json`. Strings are skipped whole, so braces inside them do not count.
// (google.protobuf.Struct would parse it all, but its map, built inside the
// uninstrumented libprotobuf, crashes the ThreadSanitizer build.)
std::vector<std::string> ArrayObjects(const std::string& json, const std::string& key) {
  std::vector<std::string> out;
  size_t pos = json.find("\"" + key + "\":[");
  if (pos == std::string::npos) return out;
  pos = json.find('[', pos) + 1;
  int depth = 0;
  size_t start = pos;
  bool in_string = false;
  for (size_t i = pos; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '{' && depth++ == 0) start = i;
    if (c == '}' && --depth == 0) out.push_back(json.substr(start, i - start + 1));
    if (c == ']' && depth == 0) break;
  }
  return out;
}

TEST_F(ConsentTest, ExportReturnsTheUsersLocalDataAndEraseDeletesIt) {
  fake_->SetScript(Unreachable);
  ManualClock clock;
  Options o = MakeOptions();
  o.clock = &clock;
  o.commit_interval = absl::Hours(1);  // later events stay queued in memory
  auto client = MakeClient(o);
  for (const char* user : {"alice", "bob"}) {
    ASSERT_TRUE(Grant(*client, "acme", user, Purpose::kUsageAnalytics, kPolicy).ok());
    ASSERT_TRUE(Grant(*client, "acme", user, Purpose::kMilestones, kPolicy).ok());
  }
  ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
  ASSERT_TRUE(client->RecordMilestone("durable_one").ok());
  EXPECT_EQ(client->Flush(Soon()).code(), absl::StatusCode::kUnavailable);  // these two durable
  ASSERT_TRUE(client->RecordMilestone("queued_one").ok());
  ASSERT_TRUE(client->RecordLogin("acme", "bob").ok());
  ASSERT_TRUE(client->RecordMilestone("bobs").ok());

  absl::StatusOr<std::string> exported = client->ExportLocalData("alice");
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_EQ(exported->rfind("{\"user_id\":\"alice\",\"pseudonymised\":false,", 0), 0u) << *exported;
  std::vector<std::string> records = ArrayObjects(*exported, "consent_records");
  ASSERT_EQ(records.size(), 2u) << *exported;
  for (const std::string& r : records) {
    EXPECT_THAT(r, ::testing::HasSubstr("\"policy_version\":\"2026-11\""));
    EXPECT_THAT(r, ::testing::HasSubstr("\"decision\":\"granted\""));
    EXPECT_THAT(r, ::testing::HasSubstr("\"account_id\":\"acme\""));
  }
  std::vector<std::string> names;
  for (const std::string& json : ArrayObjects(*exported, "events")) {
    cairn::v1::Event e;  // each is an Event in protobuf's JSON mapping
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &e).ok()) << json;
    EXPECT_EQ(e.user_id(), "alice");
    names.push_back(e.has_milestone()     ? e.milestone().name()
                    : e.has_session_end() ? "session_end"
                                          : "login");
  }
  // Bob's login ended alice's session: her SessionEnd is hers, still queued.
  EXPECT_THAT(names, ElementsAre("login", "durable_one", "queued_one", "session_end"));

  ASSERT_TRUE(client->EraseLocalData("alice").ok());
  exported = client->ExportLocalData("alice");
  ASSERT_TRUE(exported.ok());
  EXPECT_THAT(*exported, ::testing::HasSubstr("\"events\":[]"));
  EXPECT_EQ(ArrayObjects(*exported, "consent_records").size(), 2u);  // the proof stays
  EXPECT_EQ(client->GetStats().erased, 4u);
  EXPECT_EQ(client->GetConsent("alice", Purpose::kMilestones), Decision::kGranted);

  fake_->SetScript(nullptr);
  const size_t attempts_before = fake_->batches().size();
  ASSERT_TRUE(FlushAdvancing(*client, clock).ok());
  EXPECT_EQ(BufferedCount("alice", cairn::v1::PURPOSE_MILESTONES), 0);
  EXPECT_EQ(BufferedCount("alice", cairn::v1::PURPOSE_USAGE_ANALYTICS), 0);
  std::vector<cairn::v1::Batch> batches = fake_->batches();
  std::vector<std::string> delivered;
  for (size_t i = attempts_before; i < batches.size(); ++i) {
    for (const cairn::v1::Event& e : batches[i].events()) {
      if (!e.has_consent_change()) delivered.push_back(e.user_id());
    }
  }
  EXPECT_THAT(delivered, ElementsAre("bob", "bob"));
}

TEST_F(ConsentTest, ADamagedConsentFileIsMovedAsideAndEveryPurposeReadsAsDenied) {
  {
    auto client = MakeClient(MakeOptions());
    ASSERT_TRUE(Grant(*client, "acme", "alice", Purpose::kUsageAnalytics).ok());
    ASSERT_TRUE(client->Shutdown(Soon()).ok());
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(StorageDir() + "/consent.db" + suffix);
  }
  {
    std::ofstream out(StorageDir() + "/consent.db", std::ios::binary);
    out << std::string(8192, 'x');
  }
  auto client = MakeClient(MakeOptions());
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->GetConsent("alice", Purpose::kUsageAnalytics), Decision::kUnknown);
  EXPECT_EQ(client->RecordLogin("acme", "alice").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(client->GetStats().dropped[cairn::v1::DROP_REASON_CORRUPT_BUFFER], 1u);
  bool moved_aside = false;
  for (const std::string& name : StorageFiles()) {
    moved_aside |= name.rfind("consent.db.corrupt-", 0) == 0;
  }
  EXPECT_TRUE(moved_aside);
}

}  // namespace
}  // namespace cairn
