// Consent and GDPR end to end: the real SDK (libcurl) against the real
// cairn-collector binary on loopback. Each test reads the collector's SQLite
// file or its admin API back, so a claim holds across both sides, not just
// inside one of them.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cairn/client.h"
#include "cairn/common/sqlite.h"
#include "collector_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http_client.h"
#include "json_fields.h"
#include "temp_dir.h"

namespace cairn {
namespace {

using consent::Decision;
using consent::Purpose;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kWriteKey[] = "consent-e2e-write-key";
constexpr char kAdminToken[] = "consent-e2e-admin-token";
constexpr char kPolicy[] = "2026-11";

class ConsentEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::CollectorProcessOptions options;
    options.db_path = db_path_;
    options.write_key = kWriteKey;
    options.admin_token = kAdminToken;
    // The collector keeps what the devices' allowlist lets through.
    options.extra_flags = {"--attribute-allowlist=plan"};
    auto process = testing::CollectorProcess::Start(options);
    ASSERT_TRUE(process.ok()) << process.status();
    collector_ = std::move(*process);
  }
  void TearDown() override {
    if (collector_ != nullptr) {
      EXPECT_TRUE(collector_->Stop().ok());
    }
  }

  // A device. Batches wait up to an hour unless flushed, so a test decides
  // when anything leaves the device; record calls return once the event is
  // committed to the buffer.
  std::unique_ptr<Client> Device(const std::string& name, Options o = {}) {
    o.collector_url = collector_->base_url();
    o.write_key = kWriteKey;
    o.storage_dir = dir_.File(name);
    o.app = {"consent-e2e", "1"};
    o.upload_interval = absl::Hours(1);
    o.durable_records = true;
    o.min_backoff = absl::Milliseconds(20);
    o.max_backoff = absl::Milliseconds(200);
    auto client = Client::Create(o);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  static absl::Status Decide(Client& c, const std::string& account, const std::string& user,
                             Purpose purpose, Decision decision) {
    ConsentRequest request;
    request.account_id = account;
    request.user_id = user;
    request.purpose = purpose;
    request.decision = decision;
    request.policy_id = "privacy";
    request.policy_version = kPolicy;
    request.source_surface = "e2e";
    return c.SetConsent(request);
  }

  static void Flush(Client& c) { ASSERT_TRUE(c.Flush(absl::Now() + absl::Seconds(30)).ok()); }

  int64_t QueryInt(const std::string& sql) { return cairn::testing::SqliteQueryInt(db_path_, sql); }
  // Events of one kind stored for a user (ConsentChange rows have kind
  // "consent_change"). Only ids without quotes are passed in.
  int64_t Stored(const std::string& user, const std::string& kind) {
    return QueryInt(absl::StrCat("SELECT count(*) FROM events WHERE user_id = '", user,
                                 "' AND kind = '", kind, "'"));
  }
  int64_t Rejected(const std::string& reason_enum_value) {
    return QueryInt(absl::StrCat("SELECT coalesce(sum(count), 0) FROM rejections WHERE reason = ",
                                 reason_enum_value));
  }

  testing::HttpResult Admin(const std::string& method, const std::string& path) {
    std::vector<std::string> auth = {absl::StrCat("Authorization: Bearer ", kAdminToken)};
    std::string url = collector_->base_url() + path;
    auto result = method == "GET"      ? testing::HttpGet(url, auth)
                  : method == "DELETE" ? testing::HttpDelete(url, auth)
                                       : testing::HttpPost(url, "", auth);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : testing::HttpResult{};
  }
  std::vector<std::string> Recipients(const std::string& account) {
    testing::HttpResult r =
        Admin("GET", "/v1/renewal-notifications/recipients?account_id=" + account);
    EXPECT_EQ(r.status, 200) << r.body;
    return testing::StringArray(r.body, "recipients");
  }

  // Every byte the collector keeps on disk (database, WAL), for "never
  // stored" checks. Read after the collector stopped and checkpointed.
  std::string CollectorFileBytes() {
    std::string all;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
      std::string name = entry.path().filename();
      if (name.rfind("collector.db", 0) != 0) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      all.append(std::istreambuf_iterator<char>(in), {});
    }
    return all;
  }

  testing::TempDir dir_;
  std::string db_path_ = dir_.File("collector.db");
  std::unique_ptr<testing::CollectorProcess> collector_;
};

TEST_F(ConsentEndToEnd, FreshInstallWithoutADecisionLeavesNoTraceAnywhere) {
  auto device = Device("fresh");
  ASSERT_NE(device, nullptr);
  EXPECT_EQ(device->RecordLogin("acme", "alice").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(device->RecordMilestone("invoice_sent").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(device->Flush(absl::Now() + absl::Seconds(10)).ok());
  ASSERT_TRUE(device->Shutdown(absl::Now() + absl::Seconds(10)).ok());
  device.reset();

  // No buffer, no identifier, no consent file: the storage directory is empty.
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.File("fresh"))) {
    files.push_back(entry.path().filename());
  }
  EXPECT_THAT(files, IsEmpty());
  EXPECT_EQ(QueryInt("SELECT count(*) FROM events"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM batches"), 0);
}

TEST_F(ConsentEndToEnd, WithdrawalDeletesBufferedEventsOfThatPurposeAndOthersStillFlow) {
  auto device = Device("withdraw");
  ASSERT_NE(device, nullptr);
  ASSERT_TRUE(Decide(*device, "acme", "alice", Purpose::kUsageAnalytics, Decision::kGranted).ok());
  ASSERT_TRUE(Decide(*device, "acme", "alice", Purpose::kMilestones, Decision::kGranted).ok());
  ASSERT_TRUE(device->RecordLogin("acme", "alice").ok());
  constexpr int kMilestones = 250;
  for (int i = 0; i < kMilestones; ++i) {
    ASSERT_TRUE(device->RecordMilestone("invoice_sent", i).ok());
  }
  // Precondition: nothing has left the device yet.
  ASSERT_EQ(device->GetStats().sent, 0u);
  ASSERT_EQ(device->GetStats().buffered_rows, kMilestones + 1u);

  ASSERT_TRUE(Decide(*device, "acme", "alice", Purpose::kMilestones, Decision::kDenied).ok());
  Stats after = device->GetStats();
  EXPECT_EQ(after.buffered_rows, 1u);  // only the login is left
  EXPECT_EQ(after.dropped[cairn::v1::DROP_REASON_CONSENT_WITHDRAWN],
            static_cast<uint64_t>(kMilestones));
  EXPECT_EQ(device->RecordMilestone("invoice_sent").code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(device->RecordLogout().ok());  // usage analytics still granted
  Flush(*device);
  ASSERT_TRUE(device->Shutdown(absl::Now() + absl::Seconds(10)).ok());

  EXPECT_EQ(Stored("alice", "milestone"), 0);
  EXPECT_EQ(Stored("alice", "login"), 1);
  EXPECT_EQ(Stored("alice", "logout"), 1);
  // The three decisions reached the collector as proof, withdrawal included.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_records WHERE user_id = 'alice'"), 3);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_state WHERE user_id = 'alice' AND "
                     "purpose = 2 AND decision = 2"),
            1);
  // The device reported the withdrawal drops with its next batch.
  EXPECT_EQ(QueryInt("SELECT coalesce(sum(count), 0) FROM client_drops WHERE reason = 8"),
            kMilestones);
}

TEST_F(ConsentEndToEnd, ConsentChangeReachesTheCollectorWithItsPolicyEvenWhenAnalyticsIsDenied) {
  auto device = Device("deny-all");
  ASSERT_NE(device, nullptr);
  for (Purpose p : consent::kConsentablePurposes) {
    ASSERT_TRUE(Decide(*device, "acme", "bob", p, Decision::kDenied).ok());
  }
  // A decision without a policy version is refused on the device...
  ConsentRequest unversioned;
  unversioned.account_id = "acme";
  unversioned.user_id = "bob";
  unversioned.purpose = Purpose::kMilestones;
  unversioned.decision = Decision::kGranted;
  EXPECT_EQ(device->SetConsent(unversioned).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(device->RecordLogin("acme", "bob").code(), absl::StatusCode::kPermissionDenied);
  Flush(*device);
  ASSERT_TRUE(device->Shutdown(absl::Now() + absl::Seconds(10)).ok());

  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_records WHERE user_id = 'bob' AND "
                     "decision = 2 AND policy_version = '2026-11' AND policy_id = 'privacy'"),
            static_cast<int64_t>(consent::kConsentablePurposes.size()));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM events WHERE kind <> 'consent_change'"), 0);
  // ...and one posted straight to the collector is rejected there.
  cairn::v1::Batch batch;
  batch.set_batch_id("01936f4e-0000-7000-8000-000000000001");
  cairn::v1::Event* event = batch.add_events();
  event->set_event_id("01936f4e-0000-7000-8000-000000000002");
  event->set_account_id("acme");
  event->set_user_id("bob");
  event->set_purpose(cairn::v1::PURPOSE_CONSENT_RECORD);
  event->mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  event->mutable_consent_change()->set_purpose(cairn::v1::PURPOSE_MILESTONES);
  event->mutable_consent_change()->set_decision(cairn::v1::CONSENT_DECISION_GRANTED);
  auto posted = testing::HttpPost(
      collector_->base_url() + "/v1/batch", batch.SerializeAsString(),
      {"Content-Type: application/x-protobuf", absl::StrCat("Authorization: Bearer ", kWriteKey)});
  ASSERT_TRUE(posted.ok()) << posted.status();
  ASSERT_EQ(posted->status, 200) << posted->body;
  cairn::v1::BatchResponse response;
  ASSERT_TRUE(response.ParseFromString(posted->body));
  ASSERT_EQ(response.rejected_size(), 1);
  EXPECT_EQ(response.rejected(0).reason(), cairn::v1::REJECT_REASON_MISSING_POLICY_VERSION);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_records WHERE user_id = 'bob'"),
            static_cast<int64_t>(consent::kConsentablePurposes.size()));
}

TEST_F(ConsentEndToEnd, OptedOutUsersNeverBecomeRenewalRecipients) {
  auto device = Device("renewals");
  ASSERT_NE(device, nullptr);
  for (const char* user : {"ann", "ben", "cid"}) {
    ASSERT_TRUE(Decide(*device, "acme", user, Purpose::kUsageAnalytics, Decision::kGranted).ok());
    ASSERT_TRUE(device->SetRenewalNotifications("acme", user, true, kPolicy).ok());
    ASSERT_TRUE(device->RecordLogin("acme", user).ok());
  }
  ASSERT_TRUE(device->SetRenewalNotifications("acme", "ben", false, kPolicy).ok());
  Flush(*device);
  EXPECT_THAT(Recipients("acme"), ElementsAre("ann", "cid"));

  // New events of the opted-out user change nothing.
  ASSERT_TRUE(device->RecordLogin("acme", "ben").ok());
  Flush(*device);
  EXPECT_EQ(Stored("ben", "login"), 2);
  EXPECT_THAT(Recipients("acme"), ElementsAre("ann", "cid"));

  // Nor does erasing the user, or the user's events arriving afterwards,
  // even with a fresh grant from a new device.
  testing::HttpResult erased = Admin("DELETE", "/v1/users/ben");
  ASSERT_EQ(erased.status, 200) << erased.body;
  auto new_device = Device("renewals-2");
  ASSERT_NE(new_device, nullptr);
  ASSERT_TRUE(
      Decide(*new_device, "acme", "ben", Purpose::kUsageAnalytics, Decision::kGranted).ok());
  ASSERT_TRUE(new_device->SetRenewalNotifications("acme", "ben", true, kPolicy).ok());
  ASSERT_TRUE(new_device->RecordLogin("acme", "ben").ok());
  Flush(*new_device);
  EXPECT_THAT(Recipients("acme"), ElementsAre("ann", "cid"));
  EXPECT_EQ(Stored("ben", "login"), 0);
  ASSERT_TRUE(new_device->Shutdown(absl::Now() + absl::Seconds(10)).ok());
  ASSERT_TRUE(device->Shutdown(absl::Now() + absl::Seconds(10)).ok());
}

TEST_F(ConsentEndToEnd, ExportHasEveryEventAndEraseDropsLateEventsDatedBeforeAndAfter) {
  auto online = Device("online");
  auto offline = Device("offline");
  ASSERT_NE(online, nullptr);
  ASSERT_NE(offline, nullptr);
  for (Client* c : {online.get(), offline.get()}) {
    ASSERT_TRUE(Decide(*c, "acme", "dora", Purpose::kUsageAnalytics, Decision::kGranted).ok());
    ASSERT_TRUE(Decide(*c, "acme", "dora", Purpose::kMilestones, Decision::kGranted).ok());
  }
  ASSERT_TRUE(online->RecordLogin("acme", "dora").ok());
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(online->RecordMilestone("quote_sent", i).ok());
  Flush(*online);
  // The offline device records before the erasure and sends after it.
  ASSERT_TRUE(offline->RecordLogin("acme", "dora").ok());
  ASSERT_TRUE(offline->RecordMilestone("quote_sent").ok());

  testing::HttpResult exported = Admin("GET", "/v1/users/dora/export");
  ASSERT_EQ(exported.status, 200) << exported.body;
  // The login, 40 milestones and the two ConsentChange events the online
  // device sent; the two consent records they made.
  std::string_view events = testing::Section(exported.body, "events", "consent_records");
  std::string_view records = testing::Section(exported.body, "consent_records", "consent_state");
  EXPECT_EQ(testing::StringValues(events, "event_id").size(), 43u) << exported.body.substr(0, 400);
  EXPECT_EQ(testing::StringValues(events, "name").size(), 40u);
  EXPECT_EQ(testing::StringValues(records, "event_id").size(), 2u);

  testing::HttpResult erased = Admin("DELETE", "/v1/users/dora");
  ASSERT_EQ(erased.status, 200) << erased.body;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM events WHERE user_id = 'dora'"), 0);

  Flush(*offline);  // dated before the erasure
  ASSERT_TRUE(online->RecordMilestone("quote_sent").ok());
  Flush(*online);  // dated after it
  EXPECT_EQ(QueryInt("SELECT count(*) FROM events WHERE user_id = 'dora'"), 0);
  // Two consent changes and two events of the offline device, one event of
  // the online one: all refused as erased.
  EXPECT_EQ(Rejected("12"), 5);
  EXPECT_EQ(offline->GetStats().dropped[cairn::v1::DROP_REASON_REJECTED], 4u);
  testing::HttpResult after = Admin("GET", "/v1/users/dora/export");
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_THAT(
      testing::StringValues(testing::Section(after.body, "events", "consent_records"), "event_id"),
      IsEmpty());
  ASSERT_TRUE(online->Shutdown(absl::Now() + absl::Seconds(10)).ok());
  ASSERT_TRUE(offline->Shutdown(absl::Now() + absl::Seconds(10)).ok());
}

TEST_F(ConsentEndToEnd, OnlyAllowlistedAttributesAndPseudonymsReachTheStore) {
  Options o;
  o.attribute_allowlist = {"plan"};
  o.user_id_hmac_key = "vendor-held-secret-key";
  auto device = Device("minimal", o);
  ASSERT_NE(device, nullptr);
  ASSERT_TRUE(
      Decide(*device, "acme", "erin.plain@example.com", Purpose::kMilestones, Decision::kGranted)
          .ok());
  ASSERT_TRUE(Decide(*device, "acme", "erin.plain@example.com", Purpose::kUsageAnalytics,
                     Decision::kGranted)
                  .ok());
  ASSERT_TRUE(device->RecordLogin("acme", "erin.plain@example.com").ok());
  ASSERT_TRUE(device
                  ->RecordMilestone("invoice_sent", 1,
                                    {{"plan", "pro-tier"}, {"home_address", "zz-private-zz"}})
                  .ok());
  Flush(*device);
  std::string wire_id = device->WireUserId("erin.plain@example.com");
  ASSERT_EQ(wire_id.size(), 64u);
  ASSERT_TRUE(device->Shutdown(absl::Now() + absl::Seconds(10)).ok());
  EXPECT_EQ(Stored(wire_id, "milestone"), 1);
  EXPECT_EQ(QueryInt("SELECT coalesce(sum(count), 0) FROM client_drops WHERE reason = 9"), 1);

  testing::HttpResult exported = Admin("GET", "/v1/users/" + wire_id + "/export");
  ASSERT_EQ(exported.status, 200) << exported.body;
  EXPECT_NE(exported.body.find("pro-tier"), std::string::npos);

  ASSERT_TRUE(collector_->Stop().ok());
  collector_.reset();
  std::string bytes = CollectorFileBytes();
  ASSERT_NE(bytes.find("pro-tier"), std::string::npos);  // the scan sees attributes
  EXPECT_EQ(bytes.find("home_address"), std::string::npos);
  EXPECT_EQ(bytes.find("zz-private-zz"), std::string::npos);
  EXPECT_EQ(bytes.find("erin.plain"), std::string::npos);
}

}  // namespace
}  // namespace cairn
