// GET /v1/accounts/{id}/users through the real cairn-collector binary on
// loopback: the rows (pseudonymised ids as stored, most logins first), the
// window, paging, the champion, the single-user-dependence flag on and off,
// and the 400s and 404s.
#include <string>
#include <string_view>
#include <vector>

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
using ::cairn::testing::MakeMilestone;
using ::cairn::testing::RawValue;
using ::cairn::testing::Section;
using ::cairn::testing::StringValues;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kWriteKey[] = "users-write-key";
constexpr char kAdminToken[] = "users-admin-token";
constexpr auto kAnalytics = cairn::v1::PURPOSE_USAGE_ANALYTICS;
constexpr auto kMilestones = cairn::v1::PURPOSE_MILESTONES;

class CollectorAccountUsersProcessTest : public CollectorFixture {
 protected:
  void SetUp() override { StartWithAdminToken(kWriteKey, kAdminToken); }

  // "alpha": lead 4 logins a day on 5 days, two 1 a day on 8 days (the
  // champion), three 1 login 40 days ago; "beta": two users at 3 logins
  // each; "solo": one user; "gamma": settings only.
  void SeedBook() {
    const absl::Time now = absl::Now();
    auto day = [now](int d) { return now - absl::Hours(24 * d); };
    std::vector<cairn::v1::Event> events;
    for (const std::string user : {"lead", "two", "three"}) {
      events.push_back(MakeGrant("alpha", user, kAnalytics));
      events.push_back(MakeGrant("alpha", user, kMilestones));
    }
    for (int d = 0; d < 5; ++d) {
      for (int i = 0; i < 4; ++i) {
        events.push_back(MakeLogin("alpha", "lead", day(d) - absl::Milliseconds(i)));
      }
    }
    for (int d = 0; d < 8; ++d) events.push_back(MakeLogin("alpha", "two", day(d)));
    events.push_back(MakeLogin("alpha", "three", day(40)));
    events.push_back(MakeMilestone("alpha", "lead", "invoice_sent", std::nullopt, day(2)));
    events.push_back(MakeMilestone("alpha", "two", "first_quote", std::nullopt, day(1)));
    for (const std::string user : {"b1", "b2"}) {
      events.push_back(MakeGrant("beta", user, kAnalytics));
      for (int d = 0; d < 3; ++d) events.push_back(MakeLogin("beta", user, day(d)));
    }
    events.push_back(MakeGrant("solo", "s1", kAnalytics));
    events.push_back(MakeLogin("solo", "s1", day(1)));
    HttpResult posted = PostBatchBody(MakeBatch(std::move(events)).SerializeAsString(), kWriteKey);
    ASSERT_EQ(posted.status, 200) << posted.body;
    ASSERT_EQ(Call("PUT", "/v1/accounts/gamma", R"({"plan": "starter"})").status, 200);
  }
};

TEST_F(CollectorAccountUsersProcessTest, RowsChampionAndDependence) {
  ASSERT_NO_FATAL_FAILURE(SeedBook());
  HttpResult alpha = Call("GET", "/v1/accounts/alpha/users");
  ASSERT_EQ(alpha.status, 200) << alpha.body;
  EXPECT_EQ(alpha.headers["content-type"], "application/json");
  EXPECT_EQ(RawValue(alpha.body, "days"), "90");
  // Rows by logins, then the champion: most active days of the last 28.
  EXPECT_THAT(StringValues(alpha.body, "user_id"), ElementsAre("lead", "two", "three", "two"));
  std::string_view lead = Section(alpha.body, "users", "milestones");
  EXPECT_EQ(RawValue(lead, "active_days"), "5");
  EXPECT_EQ(RawValue(lead, "logins"), "20");
  EXPECT_EQ(RawValue(lead, "milestones_reached"), "1");
  // Each row carries its own user's milestones.
  EXPECT_THAT(StringValues(alpha.body, "name"), ElementsAre("invoice_sent", "first_quote"));
  auto row_of = [&alpha](const std::string& user) {
    size_t at = alpha.body.find(absl::StrCat("\"user_id\":\"", user, "\""));
    return at == std::string::npos ? std::string_view() : std::string_view(alpha.body).substr(at);
  };
  EXPECT_EQ(RawValue(row_of("two"), "milestones_reached"), "1");
  EXPECT_EQ(RawValue(row_of("three"), "milestones_reached"), "0");
  EXPECT_THAT(RawValue(alpha.body, "login_share"), HasSubstr("0.68"));  // 20 of 29
  EXPECT_EQ(RawValue(alpha.body, "total"), "3");
  EXPECT_EQ(RawValue(Section(alpha.body, "total"), "logins"), "29");
  EXPECT_EQ(RawValue(alpha.body, "known_users"), "3");
  std::string_view champion = Section(alpha.body, "champion");
  EXPECT_EQ(RawValue(champion, "active_days_28"), "8");
  EXPECT_EQ(RawValue(champion, "logins_28"), "8");
  // lead holds 20 of the 28 recent logins: over 60%.
  EXPECT_EQ(RawValue(alpha.body, "single_user_dependence"), "true");
  EXPECT_THAT(RawValue(alpha.body, "top_user_share_28"), HasSubstr("0.714"));

  // A shorter window leaves out three's login 40 days ago.
  HttpResult recent = Call("GET", "/v1/accounts/alpha/users?days=30");
  ASSERT_EQ(recent.status, 200) << recent.body;
  EXPECT_THAT(StringValues(recent.body, "user_id"), ElementsAre("lead", "two", "two"));
  EXPECT_EQ(RawValue(recent.body, "known_users"), "3");

  // Two even users: no dependence.
  HttpResult beta = Call("GET", "/v1/accounts/beta/users");
  ASSERT_EQ(beta.status, 200) << beta.body;
  EXPECT_THAT(StringValues(beta.body, "user_id"), ElementsAre("b1", "b2", "b1"));
  EXPECT_EQ(RawValue(beta.body, "login_share"), "0.5");
  EXPECT_EQ(RawValue(beta.body, "single_user_dependence"), "false");
  // One known user holds everything, yet that is the account's size.
  HttpResult solo = Call("GET", "/v1/accounts/solo/users");
  ASSERT_EQ(solo.status, 200) << solo.body;
  EXPECT_EQ(RawValue(solo.body, "top_user_share_28"), "1");
  EXPECT_EQ(RawValue(solo.body, "single_user_dependence"), "false");
  // Settings only: no users, no champion.
  HttpResult gamma = Call("GET", "/v1/accounts/gamma/users");
  ASSERT_EQ(gamma.status, 200) << gamma.body;
  EXPECT_EQ(RawValue(gamma.body, "total"), "0");
  EXPECT_THAT(gamma.body, Not(HasSubstr("champion")));
  EXPECT_EQ(RawValue(gamma.body, "top_user_share_28"), "null");
  EXPECT_EQ(RawValue(gamma.body, "single_user_dependence"), "false");
}

TEST_F(CollectorAccountUsersProcessTest, PagingValidationAndUnknownAccounts) {
  ASSERT_NO_FATAL_FAILURE(SeedBook());
  HttpResult first = Call("GET", "/v1/accounts/alpha/users?limit=2");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_THAT(StringValues(Section(first.body, "users", "total"), "user_id"),
              ElementsAre("lead", "two"));
  EXPECT_EQ(RawValue(first.body, "next_page_token"), "\"2\"");
  HttpResult second = Call("GET", "/v1/accounts/alpha/users?limit=2&page_token=2");
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_THAT(StringValues(Section(second.body, "users", "total"), "user_id"),
              ElementsAre("three"));
  EXPECT_EQ(RawValue(second.body, "next_page_token"), "\"\"");
  EXPECT_EQ(RawValue(second.body, "total"), "3");
  EXPECT_EQ(Call("GET", "/v1/accounts/alpha/users?days=456").status, 200);

  for (const char* query : {"days=0", "days=457", "days=x", "days=", "limit=0", "limit=1001",
                            "page_token=x", "format=csv"}) {
    HttpResult bad = Call("GET", absl::StrCat("/v1/accounts/alpha/users?", query));
    EXPECT_EQ(bad.status, 400) << query << ": " << bad.body;
  }
  EXPECT_THAT(Call("GET", "/v1/accounts/alpha/users?days=0").body, HasSubstr("days must be 1-456"));
  EXPECT_EQ(Call("GET", "/v1/accounts/nobody/users").status, 404);
  EXPECT_EQ(Call("GET", "/v1/accounts/bad%2/users").status, 400);
  EXPECT_EQ(Call("POST", "/v1/accounts/alpha/users").status, 405);
  // The admin token is needed.
  EXPECT_EQ(Request("GET", "/v1/accounts/alpha/users").status, 401);
}

}  // namespace
}  // namespace cairn::collector
