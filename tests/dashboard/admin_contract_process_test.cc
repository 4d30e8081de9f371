// The admin API contract (proto/cairn/admin/v1) through the real
// cairn-collector binary on loopback: every endpoint's answer parses into
// its message and prints back to exactly what was served; request bodies
// with an unknown field or a value of the wrong type get 400 naming it.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cairn/admin/v1/access.pb.h"
#include "cairn/admin/v1/accounts.pb.h"
#include "cairn/admin/v1/alerts.pb.h"
#include "cairn/admin/v1/customer.pb.h"
#include "cairn/admin/v1/gdpr.pb.h"
#include "engagement_seed.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "http/proto_json.h"
#include "http_client.h"
#include "temp_dir.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::AdminCall;
using ::cairn::testing::CollectorProcess;
using ::cairn::testing::HttpResult;
using ::cairn::testing::TempDir;
using ::testing::HasSubstr;

// One collector with the seeded accounts for the whole suite: seeding takes
// seconds and every test here only reads or adds.
class CollectorAdminContractTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto process = cairn::testing::StartSeedCollector(*dir_);
    ASSERT_TRUE(process.ok()) << process.status();
    collector_ = process->release();
    ASSERT_TRUE(cairn::testing::SeedAccounts(collector_->base_url()).ok());
  }
  static void TearDownTestSuite() {
    if (collector_ != nullptr) {
      EXPECT_TRUE(collector_->Stop().ok());
    }
    delete collector_;
    collector_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  static HttpResult Call(const std::string& method, const std::string& path,
                         const std::string& body = "") {
    absl::StatusOr<HttpResult> result = AdminCall(collector_->base_url(), method, path, body);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : HttpResult{};
  }

  // The answer parses strictly into `message` and prints back byte for byte.
  template <typename Message>
  static void ExpectRoundTrip(const HttpResult& answer, int status = 200) {
    ASSERT_EQ(answer.status, status) << answer.body;
    Message message;
    google::protobuf::util::JsonParseOptions strict;
    strict.ignore_unknown_fields = false;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(answer.body, &message, strict).ok())
        << answer.body;
    EXPECT_EQ(AdminJsonText(message), answer.body);
  }

  static TempDir* dir_;
  static CollectorProcess* collector_;
};

TempDir* CollectorAdminContractTest::dir_ = nullptr;
CollectorProcess* CollectorAdminContractTest::collector_ = nullptr;

TEST_F(CollectorAdminContractTest, AccountAnswersRoundTripThroughTheirMessages) {
  HttpResult page = Call("GET", "/v1/accounts");
  ExpectRoundTrip<admin::v1::AccountPage>(page);
  admin::v1::AccountPage parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(page.body, &parsed).ok());
  ASSERT_EQ(parsed.accounts_size(), 3);
  EXPECT_EQ(parsed.accounts(0).account_id(), "globex");  // riskiest first
  EXPECT_TRUE(parsed.accounts(0).has_open_alert());
  EXPECT_EQ(parsed.accounts(0).weekly_logins_size(), 12);

  HttpResult acme = Call("GET", "/v1/accounts/acme");
  ExpectRoundTrip<admin::v1::AccountDetail>(acme);
  EXPECT_THAT(acme.body, HasSubstr("\"seats\":4,"));

  ExpectRoundTrip<admin::v1::AccountSettings>(
      Call("PUT", "/v1/accounts/initech", R"({"renewal_date": null, "seats": 6})"));
  ExpectRoundTrip<admin::v1::GoalList>(Call("GET", "/v1/accounts/acme/goals"));
  HttpResult users = Call("GET", "/v1/accounts/acme/users");
  ExpectRoundTrip<admin::v1::AccountUserList>(users);
  EXPECT_THAT(users.body, HasSubstr("\"champion\":{\"user_id\":\"acme-user-"));
  HttpResult created =
      Call("POST", "/v1/accounts/initech/goals",
           R"({"name": "Reports", "milestone_name": "report", "target_count": 2})");
  ExpectRoundTrip<admin::v1::Goal>(created, 201);
  admin::v1::Goal goal;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(created.body, &goal).ok());
  EXPECT_EQ(goal.name(), "Reports");
  EXPECT_TRUE(goal.due().has_null_value());
  ExpectRoundTrip<admin::v1::GoalDeleted>(
      Call("DELETE", "/v1/accounts/initech/goals/" + goal.goal_id()));
  ExpectRoundTrip<admin::v1::CustomerLink>(
      Call("POST", "/v1/accounts/acme/customer-link", R"({"ttl_hours": 3})"));
}

TEST_F(CollectorAdminContractTest, AlertRenewalCustomerAndGdprAnswersRoundTrip) {
  ExpectRoundTrip<admin::v1::AlertList>(Call("GET", "/v1/alerts"));
  ExpectRoundTrip<admin::v1::EvaluationCounts>(Call("POST", "/v1/alerts/evaluate"));
  HttpResult renewals = Call("GET", "/v1/renewals/upcoming?within_days=90");
  ExpectRoundTrip<admin::v1::RenewalList>(renewals);
  EXPECT_THAT(renewals.body, HasSubstr("\"health\":{\"score\":"));

  absl::StatusOr<std::string> token =
      cairn::testing::CustomerLinkToken(collector_->base_url(), "acme");
  ASSERT_TRUE(token.ok()) << token.status();
  absl::StatusOr<HttpResult> overview =
      cairn::testing::HttpCall("GET", collector_->base_url() + "/v1/customer/overview", "",
                               {absl::StrCat("Authorization: CustomerLink ", *token)});
  ASSERT_TRUE(overview.ok()) << overview.status();
  ExpectRoundTrip<admin::v1::CustomerOverview>(*overview);

  ExpectRoundTrip<admin::v1::RecipientsPage>(
      Call("GET", "/v1/renewal-notifications/recipients?account_id=acme&limit=1"));
  HttpResult exported = Call("GET", "/v1/users/acme-user-1/export");
  ExpectRoundTrip<admin::v1::UserExport>(exported);
  ExpectRoundTrip<admin::v1::FeedbackSummary>(Call("GET", "/v1/feedback/summary?days=30"));
  ExpectRoundTrip<admin::v1::PurgeResult>(Call("POST", "/v1/admin/purge"));
  ExpectRoundTrip<admin::v1::ErasureResult>(Call("DELETE", "/v1/users/nobody-here"));
}

// The seed collector's one token comes from --admin-token: no name in a
// key file, so the collector calls it "key-" and 8 hex digits, role admin.
TEST_F(CollectorAdminContractTest, WhoAmIRoundTrips) {
  HttpResult answer = Call("GET", "/v1/whoami");
  ExpectRoundTrip<admin::v1::WhoAmI>(answer);
  admin::v1::WhoAmI parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(answer.body, &parsed).ok());
  EXPECT_THAT(parsed.name(), ::testing::MatchesRegex("key-[0-9a-f]{8}"));
  EXPECT_EQ(parsed.role(), "admin");
}

TEST_F(CollectorAdminContractTest, UnknownFieldsAndWrongTypesAre400NamingTheField) {
  struct Case {
    std::string method, path, body, field;
  };
  const std::vector<Case> cases = {
      {"PUT", "/v1/accounts/acme", R"({"seats": 4, "sets": 5})", "sets"},
      {"PUT", "/v1/accounts/acme", R"({"seats": "many"})", "seats"},
      {"PUT", "/v1/accounts/acme", R"({"renewal_date": 20270101})", "renewal_date"},
      {"PUT", "/v1/accounts/acme", R"({"key_milestones": "a,b"})", "key_milestones"},
      {"POST", "/v1/accounts/acme/goals",
       R"({"name": "x", "milestone_name": "m", "target_count": 1, "colour": "red"})", "colour"},
      {"POST", "/v1/accounts/acme/goals",
       R"({"name": "x", "milestone_name": "m", "target_count": "three"})", "target_count"},
      {"POST", "/v1/accounts/acme/goals",
       R"({"name": 7, "milestone_name": "m", "target_count": 1})", "name"},
      {"POST", "/v1/accounts/acme/goals",
       R"({"name": "x", "milestone_name": "m", "target_count": 1, "due": 5})", "due"},
      {"POST", "/v1/accounts/acme/customer-link", R"({"ttl": 5})", "ttl"},
      {"POST", "/v1/accounts/acme/customer-link", R"({"ttl_hours": "soon"})", "ttl_hours"},
  };
  for (const Case& c : cases) {
    HttpResult result = Call(c.method, c.path, c.body);
    EXPECT_EQ(result.status, 400) << c.body << " -> " << result.body;
    EXPECT_THAT(result.body, HasSubstr(c.field)) << c.body;
  }
  // The settings were left alone by every refused request.
  HttpResult acme = Call("GET", "/v1/accounts/acme");
  EXPECT_THAT(acme.body, HasSubstr("\"seats\":4,"));
  // Existing validation and its messages still apply after parsing.
  HttpResult negative = Call("PUT", "/v1/accounts/acme", R"({"seats": -1})");
  EXPECT_EQ(negative.status, 400);
  EXPECT_THAT(negative.body, HasSubstr("seats must be an integer >= 0 or null"));
  HttpResult missing = Call("POST", "/v1/accounts/acme/goals", R"({"milestone_name": "m"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(missing.body, HasSubstr("name must be 1-200 bytes of UTF-8"));
}

}  // namespace
}  // namespace cairn::collector
