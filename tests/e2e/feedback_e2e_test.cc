// In-app feedback end to end: the real SDK (libcurl) against the real
// cairn-collector binary on loopback. Answers under a feedback grant reach
// the store and the NPS the admin API shows; others never leave the device.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cairn/client.h"
#include "collector_process.h"
#include "gtest/gtest.h"
#include "http_client.h"
#include "json_fields.h"
#include "temp_dir.h"

namespace cairn {
namespace {

using consent::Purpose;

constexpr char kWriteKey[] = "feedback-e2e-write-key";
constexpr char kAdminToken[] = "feedback-e2e-admin-token";

class FeedbackEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::CollectorProcessOptions options;
    options.db_path = dir_.File("collector.db");
    options.write_key = kWriteKey;
    options.admin_token = kAdminToken;
    auto process = testing::CollectorProcess::Start(options);
    ASSERT_TRUE(process.ok()) << process.status();
    collector_ = std::move(*process);
    Options o;
    o.collector_url = collector_->base_url();
    o.write_key = kWriteKey;
    o.storage_dir = dir_.File("device");
    o.app = {"feedback-e2e", "1"};
    o.upload_interval = absl::Hours(1);  // only Flush sends
    auto client = Client::Create(o);
    ASSERT_TRUE(client.ok()) << client.status();
    device_ = std::move(*client);
  }
  void TearDown() override {
    if (device_ != nullptr) {
      EXPECT_TRUE(device_->Shutdown(absl::Now() + absl::Seconds(10)).ok());
    }
    if (collector_ != nullptr) {
      EXPECT_TRUE(collector_->Stop().ok());
    }
  }

  absl::Status Grant(const std::string& user, Purpose purpose) {
    ConsentRequest request;
    request.account_id = "acme";
    request.user_id = user;
    request.purpose = purpose;
    request.decision = consent::Decision::kGranted;
    request.policy_version = "2026-11";
    request.source_surface = "e2e";
    return device_->SetConsent(request);
  }

  testing::HttpResult AdminGet(const std::string& path) {
    auto result = testing::HttpGet(collector_->base_url() + path,
                                   {absl::StrCat("Authorization: Bearer ", kAdminToken)});
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : testing::HttpResult{};
  }

  int64_t QueryInt(const std::string& sql) {
    return testing::SqliteQueryInt(dir_.File("collector.db"), sql);
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::CollectorProcess> collector_;
  std::unique_ptr<Client> device_;
};

TEST_F(FeedbackEndToEnd, AnswersUnderConsentReachTheStoreAndTheNpsOfTheAccount) {
  ASSERT_NE(device_, nullptr);
  for (const char* user : {"alice", "bob", "carol"}) {
    ASSERT_TRUE(Grant(user, Purpose::kUsageAnalytics).ok());
  }
  ASSERT_TRUE(Grant("alice", Purpose::kFeedback).ok());
  ASSERT_TRUE(Grant("carol", Purpose::kFeedback).ok());

  ASSERT_TRUE(device_->RecordLogin("acme", "alice").ok());
  ASSERT_TRUE(device_->RecordFeedback(FeedbackKind::kNps, 10, "love the reports", "q4").ok());
  ASSERT_TRUE(device_->RecordFeedback(FeedbackKind::kCsat, 4).ok());
  ASSERT_TRUE(device_->RecordLogin("acme", "bob").ok());
  EXPECT_EQ(device_->RecordFeedback(FeedbackKind::kNps, 0).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(device_->RecordLogin("acme", "carol").ok());
  ASSERT_TRUE(device_->RecordFeedback(FeedbackKind::kNps, 3).ok());
  ASSERT_TRUE(device_->Flush(absl::Now() + absl::Seconds(30)).ok());

  // Stored under consent, one aggregate row per user, kind and day.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM events WHERE purpose = 5"), 3);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM user_feedback_day"), 3);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM user_feedback_day WHERE user_id = 'bob'"), 0);

  testing::HttpResult account = AdminGet("/v1/accounts/acme");
  ASSERT_EQ(account.status, 200) << account.body;
  const std::string_view nps = testing::Section(account.body, "nps");
  EXPECT_EQ(testing::RawValue(nps, "nps_responses"), "2") << nps;
  EXPECT_EQ(testing::RawValue(nps, "promoters"), "1");
  EXPECT_EQ(testing::RawValue(nps, "detractors"), "1");
  EXPECT_EQ(testing::RawValue(testing::Section(nps, "passives"), "nps"), "0");
  EXPECT_EQ(testing::RawValue(nps, "csat_mean"), "4");
  // The comment is in no aggregate and no admin view but the user's export.
  EXPECT_EQ(account.body.find("love the reports"), std::string::npos);

  testing::HttpResult summary = AdminGet("/v1/feedback/summary?days=7");
  ASSERT_EQ(summary.status, 200) << summary.body;
  EXPECT_EQ(testing::RawValue(summary.body, "nps_responses"), "2") << summary.body;
  EXPECT_EQ(testing::RawValue(summary.body, "csat_responses"), "1");
  EXPECT_EQ(AdminGet("/v1/feedback/summary?days=0").status, 400);

  testing::HttpResult exported = AdminGet("/v1/users/alice/export");
  ASSERT_EQ(exported.status, 200) << exported.body;
  EXPECT_NE(exported.body.find("love the reports"), std::string::npos);
  EXPECT_EQ(testing::StringValues(testing::Section(exported.body, "user_feedback_day"), "kind"),
            (std::vector<std::string>{"nps", "csat"}));
}

}  // namespace
}  // namespace cairn
