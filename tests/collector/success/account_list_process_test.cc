// The account lists of the customer-success API through the real
// cairn-collector binary on loopback: the account context in PUT and its
// validation, filters, sorting, paging and totals from the snapshots, the
// groups, the health history, renewals with paging, the forecast, CSV
// exports (formula-safe, no user ids) and concurrent reads.
#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cairn/engagement/day.h"
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
using ::cairn::testing::StringArray;
using ::cairn::testing::StringValues;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kWriteKey[] = "list-write-key";
constexpr char kAdminToken[] = "list-admin-token";
constexpr auto kAnalytics = cairn::v1::PURPOSE_USAGE_ANALYTICS;
constexpr auto kRenewal = cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS;

std::string Date(engagement::DayIndex day) {
  return absl::FormatTime("%Y-%m-%d", engagement::StartOfDay(day), absl::UTCTimeZone());
}

class CollectorAccountListProcessTest : public CollectorFixture {
 protected:
  void SetUp() override { StartWithAdminToken(kWriteKey, kAdminToken); }

  // Three accounts: "alpha" busy (3 users), "beta" quiet (1 user), "gamma"
  // settings only; each with a context.
  void SeedBook() {
    const absl::Time now = absl::Now();
    const engagement::DayIndex today = engagement::DayOf(now);
    std::vector<cairn::v1::Event> events;
    for (const std::string user : {"a1", "a2", "a3"}) {
      events.push_back(MakeGrant("alpha", user, kAnalytics));
      events.push_back(MakeGrant("alpha", user, kRenewal));
      for (int d = 0; d < 12; ++d) {
        events.push_back(MakeLogin("alpha", user, now - absl::Hours(24 * d)));
      }
    }
    events.push_back(MakeGrant("beta", "b1", kAnalytics));
    events.push_back(MakeLogin("beta", "b1", now - absl::Hours(2)));
    HttpResult posted = PostBatchBody(MakeBatch(std::move(events)).SerializeAsString(), kWriteKey);
    ASSERT_EQ(posted.status, 200) << posted.body;
    ASSERT_EQ(Call("PUT", "/v1/accounts/alpha",
                   absl::StrCat(R"({"owner": "Ana", "plan": "enterprise", "arr": 120000.5,)",
                                R"( "segments": ["emea", "strategic", "emea"], "seats": 3,)",
                                R"( "renewal_date": ")", Date(today + 20), R"("})"))
                  .status,
              200);
    ASSERT_EQ(Call("PUT", "/v1/accounts/beta",
                   absl::StrCat(R"j({"owner": "=HYPERLINK(\"http://x\")", "plan": "starter",)j",
                                R"( "mrr": 100, "segments": ["smb"], "renewal_date": ")",
                                Date(today + 5), R"("})"))
                  .status,
              200);
    ASSERT_EQ(Call("PUT", "/v1/accounts/gamma", R"({"owner": "Ana", "plan": "starter"})").status,
              200);
  }
};

TEST_F(CollectorAccountListProcessTest, ContextIsValidatedAndShown) {
  HttpResult put = Call("PUT", "/v1/accounts/acme",
                        R"({"owner": "Ana", "plan": "pro", "mrr": 10.5, "segments": ["b", "a"]})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(RawValue(put.body, "arr"), "126");
  EXPECT_EQ(RawValue(put.body, "mrr"), "10.5");
  EXPECT_THAT(put.body, HasSubstr(R"("segments":["a","b"])"));
  for (const std::string bad :
       {R"({"arr": 1, "mrr": 1})", R"({"arr": -1})", R"({"arr": "lots"})", R"({"arr": 1e14})",
        R"({"owner": ""})", R"({"owner": "tab\there"})", R"({"plan": 7})",
        R"({"segments": "emea"})", R"({"segments": ["has space"]})",
        R"({"segments": ["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]})"}) {
    EXPECT_EQ(Call("PUT", "/v1/accounts/acme", bad).status, 400) << bad;
  }
  // A refused body changed nothing.
  HttpResult view = Call("GET", "/v1/accounts/acme");
  ASSERT_EQ(view.status, 200) << view.body;
  EXPECT_EQ(RawValue(view.body, "owner"), "\"Ana\"");
  EXPECT_EQ(RawValue(view.body, "arr"), "126");
  // Null clears.
  ASSERT_EQ(Call("PUT", "/v1/accounts/acme", R"({"owner": null, "segments": null})").status, 200);
  view = Call("GET", "/v1/accounts/acme");
  EXPECT_EQ(RawValue(view.body, "owner"), "null");
  EXPECT_THAT(view.body, HasSubstr(R"("segments":[])"));
}

TEST_F(CollectorAccountListProcessTest, EachFactorCarriesItsReasonInTheDetailAndTheList) {
  SeedBook();
  // alpha: 3 users with logins on each of the last 12 days, 3 seats.
  HttpResult view = Call("GET", "/v1/accounts/alpha");
  ASSERT_EQ(view.status, 200) << view.body;
  EXPECT_THAT(view.body, HasSubstr(R"("reason":"logins on 12 of the last 14 days")"));
  EXPECT_THAT(view.body, HasSubstr(R"("reason":"3 of 3 seats active in the last 14 days")"));
  EXPECT_THAT(view.body, HasSubstr(R"("reason":"under 5 weeks of history: not judged yet")"));
  // The list reads the snapshot, which holds the same reasons.
  HttpResult list = Call("GET", "/v1/accounts?q=alpha");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_THAT(list.body, HasSubstr(R"("reason":"logins on 12 of the last 14 days")"));
  EXPECT_THAT(list.body, HasSubstr(R"("reason":"3 of 3 seats active in the last 14 days")"));
}

TEST_F(CollectorAccountListProcessTest, ListsFilterSortAndPageFromTheSnapshots) {
  SeedBook();
  HttpResult all = Call("GET", "/v1/accounts");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(RawValue(all.body, "total"), "3");
  EXPECT_THAT(StringValues(all.body, "account_id"), ElementsAre("gamma", "beta", "alpha"));
  EXPECT_THAT(all.body, HasSubstr("\"evaluated_at\":"));

  auto ids = [this](const std::string& query) {
    HttpResult r = Call("GET", "/v1/accounts?" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    return StringValues(r.body, "account_id");
  };
  EXPECT_THAT(ids("owner=Ana"), ElementsAre("gamma", "alpha"));
  EXPECT_THAT(ids("plan=starter"), ElementsAre("gamma", "beta"));
  EXPECT_THAT(ids("segment=strategic"), ElementsAre("alpha"));
  EXPECT_THAT(ids("q=ALP"), ElementsAre("alpha"));
  EXPECT_THAT(ids("band=good"), ElementsAre("alpha"));
  EXPECT_THAT(ids("sort=-arr"), ElementsAre("alpha", "beta", "gamma"));
  EXPECT_THAT(ids("sort=account_id&limit=2"), ElementsAre("alpha", "beta"));
  HttpResult second = Call("GET", "/v1/accounts?sort=account_id&limit=2&page_token=2");
  EXPECT_THAT(StringValues(second.body, "account_id"), ElementsAre("gamma"));
  EXPECT_EQ(RawValue(second.body, "next_page_token"), "\"\"");
  const std::vector<std::string> refused = {
      "sort=bogus", "band=red",     "limit=0",     "limit=1001",
      "format=xml", "page_token=x", "alert=maybe", std::string("q=") + std::string(129, 'a')};
  for (const std::string& bad : refused) {
    EXPECT_EQ(Call("GET", "/v1/accounts?" + bad).status, 400) << bad;
  }

  // A settings change shows at once; new data after an evaluation.
  ASSERT_EQ(Call("PUT", "/v1/accounts/gamma", R"({"owner": "Bo"})").status, 200);
  EXPECT_THAT(ids("owner=Ana"), ElementsAre("alpha"));
}

TEST_F(CollectorAccountListProcessTest, GroupsHistoryRenewalsAndForecast) {
  SeedBook();
  HttpResult groups = Call("GET", "/v1/account-groups?group_by=plan");
  ASSERT_EQ(groups.status, 200) << groups.body;
  EXPECT_THAT(StringValues(groups.body, "key"), ElementsAre("enterprise", "starter"));
  EXPECT_THAT(groups.body, HasSubstr(R"("arr":120000.5)"));
  EXPECT_EQ(Call("GET", "/v1/account-groups?group_by=colour").status, 400);

  ASSERT_EQ(Call("POST", "/v1/alerts/evaluate").status, 200);
  HttpResult history = Call("GET", "/v1/accounts/alpha/history?days=30");
  ASSERT_EQ(history.status, 200) << history.body;
  EXPECT_EQ(StringValues(history.body, "date").size(), 1u);
  EXPECT_EQ(RawValue(history.body, "active_users"), "3");
  EXPECT_EQ(Call("GET", "/v1/accounts/alpha/history?days=0").status, 400);

  HttpResult first = Call("GET", "/v1/renewals/upcoming?within_days=30&limit=1");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_THAT(StringValues(first.body, "account_id"), ElementsAre("beta"));
  EXPECT_EQ(RawValue(first.body, "total"), "2");
  EXPECT_EQ(RawValue(first.body, "next_page_token"), "\"1\"");
  HttpResult next = Call("GET", "/v1/renewals/upcoming?within_days=30&limit=1&page_token=1");
  EXPECT_THAT(StringValues(next.body, "account_id"), ElementsAre("alpha"));
  EXPECT_THAT(StringArray(next.body, "notification_recipients"), ElementsAre("a1", "a2", "a3"));
  EXPECT_THAT(StringValues(Call("GET", "/v1/renewals/upcoming?within_days=30&owner=Ana").body,
                           "account_id"),
              ElementsAre("alpha"));

  HttpResult forecast = Call("GET", "/v1/renewals/forecast?months=3");
  ASSERT_EQ(forecast.status, 200) << forecast.body;
  EXPECT_EQ(StringValues(forecast.body, "month").size(), 3u);
  EXPECT_THAT(forecast.body, HasSubstr("\"arr_at_risk\":1200"));  // beta, poor: 12 x 100
  EXPECT_EQ(Call("GET", "/v1/renewals/forecast?months=25").status, 400);
}

TEST_F(CollectorAccountListProcessTest, CsvExportsAreFormulaSafeAndCarryNoUserIds) {
  SeedBook();
  HttpResult csv = Call("GET", "/v1/accounts?format=csv&sort=account_id");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_THAT(csv.headers["content-type"], HasSubstr("text/csv"));
  std::vector<std::string> lines = absl::StrSplit(csv.body, "\r\n", absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << csv.body;
  EXPECT_THAT(lines[0], HasSubstr("account_id,band,score"));
  EXPECT_THAT(lines[1], HasSubstr("alpha,good,"));
  EXPECT_THAT(lines[1], HasSubstr("Ana,enterprise,120000.50,emea;strategic,"));
  // The owner that looks like a formula is quoted and starts with '.
  EXPECT_THAT(lines[2], HasSubstr(R"j("'=HYPERLINK(""http://x"")")j"));

  HttpResult renewals = Call("GET", "/v1/renewals/upcoming?within_days=30&format=csv");
  ASSERT_EQ(renewals.status, 200) << renewals.body;
  EXPECT_THAT(renewals.body, HasSubstr("notification_recipients"));
  EXPECT_THAT(renewals.body, Not(HasSubstr("a1")));
  EXPECT_THAT(renewals.body, HasSubstr(",3\r\n"));  // alpha's three recipients, counted
  HttpResult groups = Call("GET", "/v1/account-groups?group_by=owner&format=csv");
  ASSERT_EQ(groups.status, 200);
  EXPECT_THAT(groups.body, HasSubstr("owner,accounts,poor,watch,good"));
}

TEST_F(CollectorAccountListProcessTest, OutcomesRetentionAndBacktest) {
  SeedBook();  // alpha good (ARR 120000.50), beta poor (ARR 1200), gamma poor (no ARR)
  ASSERT_EQ(Call("POST", "/v1/alerts/evaluate").status, 200);  // today's health history
  const std::string today = Date(engagement::DayOf(absl::Now()));
  auto record = [&](const std::string& account, const std::string& body) {
    return Call("POST", "/v1/accounts/" + account + "/outcomes", body);
  };
  HttpResult renewed =
      record("alpha", absl::StrCat(R"({"renewal_date": ")", today, R"(", "outcome": "renewed"})"));
  ASSERT_EQ(renewed.status, 201) << renewed.body;
  EXPECT_EQ(RawValue(renewed.body, "arr_after"), "120000.5");
  ASSERT_EQ(
      record("beta", absl::StrCat(R"({"renewal_date": ")", today, R"(", "outcome": "churned"})"))
          .status,
      201);
  ASSERT_EQ(record("gamma", absl::StrCat(R"({"renewal_date": ")", today,
                                         R"(", "outcome": "downgraded", "arr_before": 1000,)",
                                         R"( "arr_after": 400})"))
                .status,
            201);
  for (const std::string bad :
       {R"({"renewal_date": "2026-13-01", "outcome": "renewed"})",
        R"({"renewal_date": "2026-01-01", "outcome": "lost"})",
        R"({"renewal_date": "2026-01-01", "outcome": "churned", "arr_after": 5})",
        R"({"renewal_date": "2026-01-01", "outcome": "expanded", "arr_after": 1})",
        R"({"renewal_date": "2026-01-01", "outcome": "renewed", "arr_before": -1})"}) {
    EXPECT_EQ(record("alpha", bad).status, 400) << bad;
  }
  // gamma has no ARR setting: arr_before must be given.
  EXPECT_EQ(record("gamma", R"({"renewal_date": "2026-01-01", "outcome": "renewed"})").status, 400);
  HttpResult listed = Call("GET", "/v1/accounts/gamma/outcomes");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_THAT(StringValues(listed.body, "outcome"), ElementsAre("downgraded"));

  HttpResult retention = Call("GET", "/v1/retention?months=1");
  ASSERT_EQ(retention.status, 200) << retention.body;
  // Before 120000.5 + 1200 + 1000; after 120000.5 + 0 + 400.
  EXPECT_THAT(retention.body, HasSubstr(R"("renewals":3)"));
  EXPECT_THAT(retention.body, HasSubstr(R"("churn_rate":0.333333)"));
  EXPECT_THAT(retention.body, HasSubstr(R"("net_retention":0.98527)"));
  EXPECT_EQ(Call("GET", "/v1/retention?months=0").status, 400);

  HttpResult backtest = Call("GET", "/v1/backtest?days_before=0");
  ASSERT_EQ(backtest.status, 200) << backtest.body;
  // At risk (poor) were beta and gamma, both lost; alpha (good) renewed.
  EXPECT_EQ(RawValue(backtest.body, "precision"), "1");
  EXPECT_EQ(RawValue(backtest.body, "recall"), "1");
  EXPECT_THAT(backtest.body, HasSubstr(R"({"band":"poor","renewals":2,"renewed":0,"churned":1)"));
  EXPECT_EQ(Call("GET", "/v1/backtest?days_before=400").status, 400);
}

TEST_F(CollectorAccountListProcessTest, ReadsRunSideBySide) {
  SeedBook();
  std::atomic<int> ok{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 6; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        HttpResult r = Call("GET", "/v1/accounts?owner=Ana");
        if (r.status == 200 && StringValues(r.body, "account_id").size() == 2) ++ok;
      }
    });
  }
  // A write in the middle of the reads is applied in order with the others.
  HttpResult put = Call("PUT", "/v1/accounts/beta", R"({"plan": "growth"})");
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(put.status, 200);
  EXPECT_EQ(ok.load(), 30);
  EXPECT_THAT(StringValues(Call("GET", "/v1/accounts?plan=growth").body, "account_id"),
              ElementsAre("beta"));
}

}  // namespace
}  // namespace cairn::collector
