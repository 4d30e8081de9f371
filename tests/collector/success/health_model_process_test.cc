// The vendor's health model through the real cairn-collector binary on
// loopback: the built-in default, a PUT that changes the weights rescoring
// every account at once (the account list and detail show it), the
// onboarding profile of a young account, the dependence factor, 400s that
// name the field and change nothing, and DELETE back to the default.
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "collector_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http_client.h"
#include "json_fields.h"
#include "test_batches.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::CollectorFixture;
using ::cairn::testing::HttpResult;
using ::cairn::testing::MakeBatch;
using ::cairn::testing::MakeGrant;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::RawValue;
using ::cairn::testing::Section;
using ::testing::HasSubstr;

constexpr char kWriteKey[] = "model-write-key";
constexpr char kAdminToken[] = "model-admin-token";
constexpr auto kAnalytics = cairn::v1::PURPOSE_USAGE_ANALYTICS;

class CollectorHealthModelProcessTest : public CollectorFixture {
 protected:
  void SetUp() override { StartWithAdminToken(kWriteKey, kAdminToken); }

  // "alpha": first login 60 days ago; "lead" logs in 4 times a day on the
  // last 5 days, "two" once a day on 8: lead holds 20 of 28 recent logins.
  // "young": one user, first login 3 days ago.
  void SeedBook() {
    const absl::Time now = absl::Now();
    auto day = [now](int d) { return now - absl::Hours(24 * d); };
    std::vector<cairn::v1::Event> events;
    for (const std::string user : {"lead", "two"}) {
      events.push_back(MakeGrant("alpha", user, kAnalytics));
    }
    events.push_back(MakeLogin("alpha", "two", day(60)));
    for (int d = 0; d < 5; ++d) {
      for (int i = 0; i < 4; ++i) {
        events.push_back(MakeLogin("alpha", "lead", day(d) - absl::Milliseconds(i)));
      }
    }
    for (int d = 0; d < 8; ++d) events.push_back(MakeLogin("alpha", "two", day(d)));
    events.push_back(MakeGrant("young", "y1", kAnalytics));
    for (int d = 0; d < 3; ++d) events.push_back(MakeLogin("young", "y1", day(d)));
    HttpResult posted = PostBatchBody(MakeBatch(std::move(events)).SerializeAsString(), kWriteKey);
    ASSERT_EQ(posted.status, 200) << posted.body;
  }

  // The account's health score as the list (snapshots) shows it.
  int ListedScore(const std::string& account) {
    HttpResult list = Call("GET", "/v1/accounts?q=" + account);
    EXPECT_EQ(list.status, 200) << list.body;
    int score = -1;
    EXPECT_TRUE(absl::SimpleAtoi(RawValue(Section(list.body, "health"), "score"), &score))
        << list.body;
    return score;
  }
};

TEST_F(CollectorHealthModelProcessTest, PutRescoresTheBookAndDeleteRestoresIt) {
  ASSERT_NO_FATAL_FAILURE(SeedBook());
  HttpResult model = Call("GET", "/v1/health-model");
  ASSERT_EQ(model.status, 200) << model.body;
  EXPECT_EQ(RawValue(Section(model.body, "weights", "onboarding_weights"), "frequency"), "30");
  EXPECT_EQ(RawValue(Section(model.body, "weights", "onboarding_weights"), "dependence"), "0");
  EXPECT_EQ(RawValue(Section(model.body, "onboarding_weights"), "time_to_value"), "40");
  EXPECT_EQ(RawValue(model.body, "onboarding_days"), "30");
  EXPECT_EQ(RawValue(model.body, "good_at"), "70");
  EXPECT_EQ(RawValue(model.body, "updated_by"), "\"\"");

  HttpResult alpha = Call("GET", "/v1/accounts/alpha");
  ASSERT_EQ(alpha.status, 200) << alpha.body;
  EXPECT_EQ(RawValue(alpha.body, "profile"), "\"standard\"");
  std::string_view dependence = Section(alpha.body, "dependence", "nps");
  EXPECT_EQ(RawValue(dependence, "applicable"), "true");
  EXPECT_EQ(RawValue(dependence, "weight"), "0");
  EXPECT_EQ(RawValue(dependence, "band"), "\"watch\"");  // 71% of the logins
  EXPECT_THAT(std::string(dependence), HasSubstr("the busiest user holds 71% of 28 logins"));
  HttpResult young = Call("GET", "/v1/accounts/young");
  ASSERT_EQ(young.status, 200) << young.body;
  EXPECT_EQ(RawValue(young.body, "profile"), "\"onboarding\"");
  EXPECT_EQ(RawValue(Section(young.body, "trend", "breadth"), "weight"), "0");
  const int before = ListedScore("alpha");

  // Weigh dependence heavily: alpha's score falls in the list at once.
  HttpResult put = Call("PUT", "/v1/health-model", R"({"weights": {"dependence": 100}})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(RawValue(put.body, "accounts_rescored"), "\"2\"");  // int64 as a JSON string
  EXPECT_NE(RawValue(put.body, "updated_by"), "\"\"");
  EXPECT_NE(RawValue(put.body, "updated_at"), "\"\"");
  EXPECT_EQ(RawValue(Section(put.body, "weights", "onboarding_weights"), "frequency"), "30");
  const int after = ListedScore("alpha");
  EXPECT_LT(after, before);
  alpha = Call("GET", "/v1/accounts/alpha");
  EXPECT_EQ(RawValue(Section(alpha.body, "dependence", "nps"), "weight"), "100");

  // Refused changes name the field and leave the model as it was.
  for (const auto& [body, message] : std::vector<std::pair<std::string, std::string>>{
           {R"({"weights": {"trend": 101}})", "weights.trend must be 0-100"},
           {R"({"good_at": 50, "watch_at": 60})", "watch_at must be 0 or more and below good_at"},
           {R"({"onboarding_days": 400})", "onboarding_days must be 0-365"},
           {R"({"weights": {"frequency": 0, "trend": 0, "breadth": 0, "time_to_value": 0}})",
            "weights must give frequency"},
           {R"({"updated_by": "someone"})", "set by the server"},
           {R"({"bogus": 1})", "bogus"},
           {R"({"good_at": "high"})", "good_at"},
           {"not json", "bad request body"}}) {
    HttpResult refused = Call("PUT", "/v1/health-model", body);
    EXPECT_EQ(refused.status, 400) << body;
    EXPECT_THAT(refused.body, HasSubstr(message)) << body;
  }
  model = Call("GET", "/v1/health-model");
  EXPECT_EQ(RawValue(Section(model.body, "weights", "onboarding_weights"), "dependence"), "100");
  EXPECT_EQ(RawValue(model.body, "good_at"), "70");

  HttpResult reset = Call("DELETE", "/v1/health-model");
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(RawValue(Section(reset.body, "weights", "onboarding_weights"), "dependence"), "0");
  EXPECT_EQ(RawValue(reset.body, "updated_by"), "\"\"");
  EXPECT_EQ(ListedScore("alpha"), before);
}

}  // namespace
}  // namespace cairn::collector
