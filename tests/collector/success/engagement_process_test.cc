// The customer-success endpoints through the real
// cairn-collector binary on loopback: accounts, goals, alerts, renewals,
// customer links and the customer overview, with their token checks.
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "auth/customer_link.h"
#include "cairn/engagement/day.h"
#include "cairn/engagement/webhook_signature.h"
#include "child_process.h"
#include "collector_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http_client.h"
#include "json_fields.h"
#include "temp_dir.h"
#include "test_batches.h"
#include "webhook_sink.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::CollectorFixture;
using ::cairn::testing::CollectorProcessOptions;
using ::cairn::testing::HttpResult;
using ::cairn::testing::MakeBatch;
using ::cairn::testing::MakeConsentChange;
using ::cairn::testing::MakeGrant;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::MakeMilestone;
using ::cairn::testing::RawValue;
using ::cairn::testing::RunShell;
using ::cairn::testing::ShellResult;
using ::cairn::testing::StringArray;
using ::cairn::testing::StringValues;
using ::cairn::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kWriteKey[] = "engagement-write-key";
constexpr char kAdminToken[] = "engagement-admin-token";
constexpr char kHashKey[] = "engagement-hash-key-0123456789";
constexpr auto kAnalytics = cairn::v1::PURPOSE_USAGE_ANALYTICS;
constexpr auto kMilestones = cairn::v1::PURPOSE_MILESTONES;
constexpr auto kRenewal = cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS;
constexpr auto kDenied = cairn::v1::CONSENT_DECISION_DENIED;

std::string Date(engagement::DayIndex day) {
  return absl::FormatTime("%Y-%m-%d", engagement::StartOfDay(day), absl::UTCTimeZone());
}

class CollectorEngagementProcessTest : public CollectorFixture {
 protected:
  void SetUp() override {
    {
      std::ofstream key(dir_.File("hash.key"));
      key << kHashKey << "\n";
    }
    Start();
  }

  void Start(std::string admin_token = kAdminToken, std::vector<std::string> flags = {}) {
    CollectorProcessOptions options;
    options.write_key = kWriteKey;
    options.admin_token = std::move(admin_token);
    options.extra_flags = {absl::StrCat("--hash-key-file=", dir_.File("hash.key")),
                           "--alert-interval-minutes=0"};
    for (std::string& flag : flags) options.extra_flags.push_back(std::move(flag));
    StartCollectorWith(std::move(options));
  }

  void Post(std::vector<cairn::v1::Event> events) {
    HttpResult result = PostBatchBody(MakeBatch(std::move(events)).SerializeAsString(), kWriteKey);
    ASSERT_EQ(result.status, 200) << result.body;
  }

  std::vector<std::string> Auth(const std::string& auth) { return {auth}; }
  std::string Bearer(const std::string& token = kAdminToken) {
    return absl::StrCat("Authorization: Bearer ", token);
  }
  HttpResult Call(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& auth = "default") {
    std::vector<std::string> headers;
    if (auth == "default") {
      headers.push_back(Bearer());
    } else if (!auth.empty()) {
      headers.push_back(auth);
    }
    return Request(method, path, body, headers);
  }
  HttpResult Overview(const std::string& token, const std::string& query = "") {
    return Call("GET", "/v1/customer/overview" + query, "",
                absl::StrCat("Authorization: CustomerLink ", token));
  }
};

TEST_F(CollectorEngagementProcessTest, EveryAdminEndpointNeedsTheAdminToken) {
  const std::vector<std::pair<std::string, std::string>> endpoints = {
      {"GET", "/v1/accounts"},
      {"GET", "/v1/accounts/acme"},
      {"PUT", "/v1/accounts/acme"},
      {"GET", "/v1/accounts/acme/goals"},
      {"POST", "/v1/accounts/acme/goals"},
      {"DELETE", "/v1/accounts/acme/goals/g1"},
      {"POST", "/v1/accounts/acme/customer-link"},
      {"GET", "/v1/alerts"},
      {"POST", "/v1/alerts/evaluate"},
      {"GET", "/v1/renewals/upcoming"}};
  for (const auto& [method, path] : endpoints) {
    EXPECT_EQ(Call(method, path, "{}", "").status, 401) << method << " " << path;
    EXPECT_EQ(Call(method, path, "{}", Bearer(kWriteKey)).status, 401) << method << " " << path;
    EXPECT_EQ(Call(method, path, "{}", Bearer("wrong")).status, 401) << method << " " << path;
  }
  // The customer view never takes the admin token.
  EXPECT_EQ(Call("GET", "/v1/customer/overview").status, 401);
  EXPECT_EQ(Call("GET", "/v1/customer/overview", "", "").status, 401);
  // Wrong methods.
  EXPECT_EQ(Call("DELETE", "/v1/accounts").status, 405);
  EXPECT_EQ(Call("GET", "/v1/alerts/evaluate").status, 405);
  EXPECT_EQ(Call("GET", "/v1/accounts/acme/nothing").status, 404);
}

TEST_F(CollectorEngagementProcessTest, EndpointsAreNotFoundWhenTheAdminApiIsOff) {
  Start(/*admin_token=*/"");
  EXPECT_EQ(Call("GET", "/v1/accounts").status, 404);
  EXPECT_EQ(Call("GET", "/v1/alerts").status, 404);
  EXPECT_EQ(Call("GET", "/v1/customer/overview", "", "Authorization: CustomerLink x").status, 404);
}

TEST_F(CollectorEngagementProcessTest, AccountsAreListedRiskiestFirstWithTheirSettings) {
  const absl::Time now = absl::Now();
  std::vector<cairn::v1::Event> events;
  // "thriving": 2 users on 10 of the last 14 days, 2 seats.
  for (const std::string user : {"t1", "t2"}) {
    events.push_back(MakeGrant("thriving", user, kAnalytics));
    for (int d = 0; d < 10; ++d)
      events.push_back(MakeLogin("thriving", user, now - absl::Hours(24 * d)));
  }
  // "drifting": 1 user once, 50 seats.
  events.push_back(MakeGrant("drifting", "d1", kAnalytics));
  events.push_back(MakeLogin("drifting", "d1", now - absl::Hours(1)));
  Post(std::move(events));

  HttpResult put = Call("PUT", "/v1/accounts/thriving",
                        R"({"seats": 2, "renewal_date": "2027-02-01", "key_milestones": []})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(RawValue(put.body, "seats"), "2");
  EXPECT_EQ(RawValue(put.body, "renewal_date"), "\"2027-02-01\"");
  ASSERT_EQ(Call("PUT", "/v1/accounts/drifting", R"({"seats": 50})").status, 200);
  // A settings-only account is listed too.
  ASSERT_EQ(Call("PUT", "/v1/accounts/newcomer", R"({"renewal_date": null})").status, 200);

  HttpResult list = Call("GET", "/v1/accounts");
  ASSERT_EQ(list.status, 200) << list.body;
  std::vector<std::string> ids = StringValues(list.body, "account_id");
  // Poor first, by score: the empty newcomer (0) before drifting (a few
  // points for its one login day); then good.
  ASSERT_THAT(ids, ElementsAre("newcomer", "drifting", "thriving"));
  EXPECT_EQ(RawValue(list.body, "next_page_token"), "\"\"");
  HttpResult thriving = Call("GET", "/v1/accounts/thriving");
  ASSERT_EQ(thriving.status, 200) << thriving.body;
  EXPECT_EQ(RawValue(thriving.body, "band"), "\"good\"");
  EXPECT_EQ(RawValue(thriving.body, "login_days_14"), "10");
  EXPECT_EQ(RawValue(thriving.body, "basis"), "\"seats\"");
  EXPECT_THAT(thriving.body, HasSubstr("\"weekly_logins\":["));
  EXPECT_THAT(thriving.body, HasSubstr("\"milestones\":[]"));
  EXPECT_EQ(Call("GET", "/v1/accounts/nobody").status, 404);

  // Paging.
  HttpResult page = Call("GET", "/v1/accounts?limit=2");
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(StringValues(page.body, "account_id"), ElementsAre("newcomer", "drifting"));
  std::string token = RawValue(page.body, "next_page_token");
  ASSERT_EQ(token, "\"2\"");
  HttpResult rest = Call("GET", "/v1/accounts?limit=2&page_token=2");
  EXPECT_THAT(StringValues(rest.body, "account_id"), ElementsAre("thriving"));
  EXPECT_EQ(Call("GET", "/v1/accounts?limit=0").status, 400);
}

TEST_F(CollectorEngagementProcessTest, AccountSettingsAreValidatedAndNullClears) {
  EXPECT_EQ(Call("PUT", "/v1/accounts/acme", R"({"seats": -1})").status, 400);
  EXPECT_EQ(Call("PUT", "/v1/accounts/acme", R"({"seats": 1.5})").status, 400);
  EXPECT_EQ(Call("PUT", "/v1/accounts/acme", R"({"renewal_date": "2027-02-30"})").status, 400);
  EXPECT_EQ(Call("PUT", "/v1/accounts/acme", R"({"key_milestones": ["bad name"]})").status, 400);
  std::string many = "[";
  for (int i = 0; i < 33; ++i) absl::StrAppend(&many, i ? "," : "", "\"m", i, "\"");
  many += "]";
  EXPECT_EQ(
      Call("PUT", "/v1/accounts/acme", absl::StrCat(R"({"key_milestones": )", many, "}")).status,
      400);
  EXPECT_EQ(Call("PUT", "/v1/accounts/acme", "not json").status, 400);
  HttpResult set =
      Call("PUT", "/v1/accounts/acme",
           R"({"seats": 25, "renewal_date": "2027-02-01", "key_milestones": ["a", "b"]})");
  ASSERT_EQ(set.status, 200) << set.body;
  HttpResult cleared = Call("PUT", "/v1/accounts/acme", R"({"seats": null})");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(RawValue(cleared.body, "seats"), "null");
  EXPECT_EQ(RawValue(cleared.body, "renewal_date"), "\"2027-02-01\"");
  EXPECT_THAT(StringArray(cleared.body, "key_milestones"), ElementsAre("a", "b"));
}

TEST_F(CollectorEngagementProcessTest, GoalsProgressFromMilestoneEvents) {
  const absl::Time now = absl::Now();
  const engagement::DayIndex today = engagement::DayOf(now);
  HttpResult created =
      Call("POST", "/v1/accounts/acme/goals",
           absl::StrCat(R"({"name": "Send 3 invoices", "milestone_name": "invoice_sent", )",
                        R"("target_count": 3, "due": ")", Date(today + 10), "\"}"));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string goal_id = StringValues(created.body, "goal_id").at(0);
  EXPECT_EQ(RawValue(created.body, "start"), absl::StrCat("\"", Date(today), "\""));
  EXPECT_EQ(RawValue(created.body, "count"), "0");

  Post({MakeGrant("acme", "u1", kMilestones),
        MakeMilestone("acme", "u1", "invoice_sent", 10.0, now),
        MakeMilestone("acme", "u1", "invoice_sent", std::nullopt, now),
        MakeMilestone("acme", "u1", "invoice_sent", std::nullopt, now),
        MakeMilestone("other", "u1", "invoice_sent", std::nullopt, now)});
  HttpResult goals = Call("GET", "/v1/accounts/acme/goals");
  ASSERT_EQ(goals.status, 200) << goals.body;
  EXPECT_EQ(RawValue(goals.body, "count"), "3");
  EXPECT_EQ(RawValue(goals.body, "status"), "\"achieved\"");
  EXPECT_EQ(RawValue(goals.body, "fraction"), "1");

  EXPECT_EQ(Call("POST", "/v1/accounts/acme/goals",
                 R"({"name": "x", "milestone_name": "m", "target_count": 0})")
                .status,
            400);
  EXPECT_EQ(Call("POST", "/v1/accounts/acme/goals",
                 R"({"name": "x", "milestone_name": "m", "target_count": 1, "due": "2001-01-01"})")
                .status,
            400);
  EXPECT_EQ(Call("DELETE", "/v1/accounts/other/goals/" + goal_id).status, 404);
  HttpResult deleted = Call("DELETE", "/v1/accounts/acme/goals/" + goal_id);
  ASSERT_EQ(deleted.status, 200);
  EXPECT_EQ(RawValue(deleted.body, "deleted"), "true");
  EXPECT_EQ(Call("DELETE", "/v1/accounts/acme/goals/" + goal_id).status, 404);
}

TEST_F(CollectorEngagementProcessTest, CustomerLinkRevealsOnlyItsOwnAccount) {
  const absl::Time now = absl::Now();
  Post({MakeGrant("alpha", "a1", kMilestones), MakeGrant("beta", "b1", kMilestones),
        MakeMilestone("alpha", "a1", "alpha_first_invoice", std::nullopt, now - absl::Hours(2)),
        MakeMilestone("alpha", "a1", "alpha_first_invoice", std::nullopt, now - absl::Hours(1)),
        MakeMilestone("beta", "b1", "beta_secret_milestone", std::nullopt, now)});
  HttpResult link = Call("POST", "/v1/accounts/alpha/customer-link", R"({"ttl_hours": 2})");
  ASSERT_EQ(link.status, 200) << link.body;
  const std::string token = StringValues(link.body, "token").at(0);
  EXPECT_EQ(RawValue(link.body, "url"), absl::StrCat("\"/customer/#token=", token, "\""));

  HttpResult overview = Overview(token);
  ASSERT_EQ(overview.status, 200) << overview.body;
  EXPECT_EQ(RawValue(overview.body, "account_id"), "\"alpha\"");
  EXPECT_THAT(StringValues(overview.body, "name"), ElementsAre("alpha_first_invoice"));
  EXPECT_EQ(RawValue(overview.body, "events"), "2");
  EXPECT_THAT(overview.body, Not(HasSubstr("beta")));
  EXPECT_THAT(overview.body, Not(HasSubstr("a1")));  // no user ids
  // A parameter cannot switch the account.
  HttpResult switched = Overview(token, "?account_id=beta");
  ASSERT_EQ(switched.status, 200);
  EXPECT_THAT(switched.body, Not(HasSubstr("beta")));

  // Tampering: another account with alpha's signature, a changed expiry or
  // signature, garbage: 401.
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u);
  const std::string beta = absl::WebSafeBase64Escape("beta");
  EXPECT_EQ(Overview(absl::StrCat(beta, ".", parts[1], ".", parts[2])).status, 401);
  EXPECT_EQ(
      Overview(absl::StrCat(parts[0], ".", std::stoll(parts[1]) + 3600, ".", parts[2])).status,
      401);
  std::string flipped = parts[2];
  flipped[0] = flipped[0] == '0' ? '1' : '0';
  EXPECT_EQ(Overview(absl::StrCat(parts[0], ".", parts[1], ".", flipped)).status, 401);
  EXPECT_EQ(Overview("garbage").status, 401);
  EXPECT_EQ(Call("GET", "/v1/customer/overview", "", absl::StrCat("Authorization: Bearer ", token))
                .status,
            401);
  // Correctly signed (the collector's hash key) but expired: 403.
  const std::string expired = SignCustomerLink(kHashKey, "alpha", now - absl::Minutes(1));
  HttpResult gone = Overview(expired);
  EXPECT_EQ(gone.status, 403);
  EXPECT_THAT(gone.body, HasSubstr("link expired"));
  // And a link signed for beta shows beta only.
  HttpResult beta_view = Overview(SignCustomerLink(kHashKey, "beta", now + absl::Hours(1)));
  ASSERT_EQ(beta_view.status, 200);
  EXPECT_THAT(StringValues(beta_view.body, "name"), ElementsAre("beta_secret_milestone"));

  EXPECT_EQ(Call("POST", "/v1/accounts/alpha/customer-link", R"({"ttl_hours": 0})").status, 400);
  EXPECT_EQ(Call("POST", "/v1/accounts/alpha/customer-link", R"({"ttl_hours": 2161})").status, 400);
}

TEST_F(CollectorEngagementProcessTest, RenewalsListHealthAndNeverAnOptedOutUser) {
  const absl::Time now = absl::Now();
  const engagement::DayIndex today = engagement::DayOf(now);
  Post({MakeGrant("soon", "keen", kAnalytics), MakeGrant("soon", "keen", kRenewal),
        MakeGrant("soon", "optout", kAnalytics), MakeGrant("soon", "optout", kRenewal),
        MakeLogin("soon", "keen", now - absl::Hours(1)),
        MakeLogin("soon", "optout", now - absl::Hours(1)), MakeGrant("later", "l1", kRenewal),
        MakeLogin("later", "l1", now)});
  Post({MakeConsentChange("soon", "optout", kRenewal, kDenied, now - absl::Minutes(1))});
  ASSERT_EQ(Call("PUT", "/v1/accounts/soon",
                 absl::StrCat(R"({"renewal_date": ")", Date(today + 10), "\"}"))
                .status,
            200);
  ASSERT_EQ(Call("PUT", "/v1/accounts/later",
                 absl::StrCat(R"({"renewal_date": ")", Date(today + 60), "\"}"))
                .status,
            200);
  HttpResult renewals = Call("GET", "/v1/renewals/upcoming?within_days=30");
  ASSERT_EQ(renewals.status, 200) << renewals.body;
  EXPECT_THAT(StringValues(renewals.body, "account_id"), ElementsAre("soon"));
  EXPECT_EQ(RawValue(renewals.body, "days_left"), "10");
  EXPECT_THAT(StringArray(renewals.body, "notification_recipients"), ElementsAre("keen"));
  EXPECT_THAT(renewals.body, Not(HasSubstr("optout")));
  EXPECT_EQ(RawValue(renewals.body, "recipients_truncated"), "false");
  EXPECT_THAT(renewals.body, HasSubstr("\"health\":{\"score\":"));
  HttpResult wider = Call("GET", "/v1/renewals/upcoming?within_days=90");
  EXPECT_THAT(StringValues(wider.body, "account_id"), ElementsAre("soon", "later"));
  EXPECT_EQ(Call("GET", "/v1/renewals/upcoming?within_days=0").status, 400);
  EXPECT_EQ(Call("GET", "/v1/renewals/upcoming?within_days=367").status, 400);
}

TEST_F(CollectorEngagementProcessTest, AlertsEvaluateOnDemandAndList) {
  const absl::Time now = absl::Now();
  Post({MakeGrant("acme", "u1", kAnalytics), MakeLogin("acme", "u1", now)});
  HttpResult evaluated = Call("POST", "/v1/alerts/evaluate");
  ASSERT_EQ(evaluated.status, 200) << evaluated.body;
  EXPECT_EQ(RawValue(evaluated.body, "evaluated"), "1");
  EXPECT_EQ(RawValue(evaluated.body, "opened"), "0");
  HttpResult alerts = Call("GET", "/v1/alerts?state=open");
  ASSERT_EQ(alerts.status, 200);
  EXPECT_EQ(alerts.body, "{\"alerts\":[]}\n");
  EXPECT_EQ(Call("GET", "/v1/alerts?state=closed").status, 400);
}

TEST_F(CollectorEngagementProcessTest, DroppingAccountAlertReachesTheWebhookOnceSigned) {
  auto sink = cairn::testing::WebhookSink::Start();
  ASSERT_TRUE(sink.ok()) << sink.status();
  constexpr char kSecret[] = "process-webhook-secret-0123";
  {
    std::ofstream secret(dir_.File("webhook.secret"));
    secret << kSecret << "\n";
  }
  Start(kAdminToken, {absl::StrCat("--alert-webhook-url=", (*sink)->url()),
                      absl::StrCat("--alert-webhook-secret-file=", dir_.File("webhook.secret"))});
  // 40 days of history ending now: 10 logins a day, then 2 a day this week
  // (14 against a baseline mean of 70: a drop).
  const absl::Time now = absl::Now();
  const engagement::DayIndex today = engagement::DayOf(now);
  std::vector<cairn::v1::Event> events;
  for (int u = 0; u < 5; ++u)
    events.push_back(MakeGrant("falling", absl::StrCat("f", u), kAnalytics));
  for (engagement::DayIndex d = today - 40; d <= today; ++d) {
    const int logins = d > today - 7 ? 2 : 10;
    for (int i = 0; i < logins; ++i) {
      absl::Time at = engagement::StartOfDay(d) + absl::Hours(1) + absl::Seconds(i);
      if (d == today) {
        at = engagement::StartOfDay(d) + (now - engagement::StartOfDay(d)) * (i + 1) / (logins + 1);
      }
      events.push_back(MakeLogin("falling", absl::StrCat("f", i % 5), at));
    }
  }
  Post(std::move(events));

  HttpResult evaluated = Call("POST", "/v1/alerts/evaluate");
  ASSERT_EQ(evaluated.status, 200) << evaluated.body;
  EXPECT_EQ(RawValue(evaluated.body, "opened"), "1");
  ASSERT_TRUE((*sink)->WaitForRequests(1));
  std::vector<cairn::testing::WebhookSink::Request> hooks = (*sink)->requests();
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_TRUE(engagement::VerifyWebhook(kSecret, hooks[0].headers["cairn-signature"], hooks[0].body,
                                        absl::Now())
                  .ok());
  EXPECT_EQ(RawValue(hooks[0].body, "account_id"), "\"falling\"");
  EXPECT_EQ(RawValue(hooks[0].body, "this_week"), "14");

  // The delivery is recorded (polled: the sender records it after the 2xx).
  std::string alerts;
  for (int i = 0; i < 200; ++i) {
    alerts = Call("GET", "/v1/alerts?state=open").body;
    if (alerts.find("\"delivered\"") != std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(RawValue(alerts, "state"), "\"open\"");
  EXPECT_THAT(alerts, HasSubstr("\"delivery\":{\"state\":\"delivered\",\"attempts\":1"));
  // Evaluating again in the same episode opens nothing and sends nothing.
  HttpResult again = Call("POST", "/v1/alerts/evaluate");
  EXPECT_EQ(RawValue(again.body, "opened"), "0");
  HttpResult account = Call("GET", "/v1/accounts/falling");
  EXPECT_THAT(account.body, HasSubstr("\"open_alert\":{\"alert_id\":"));
  EXPECT_EQ((*sink)->requests().size(), 1u);
}

TEST(CollectorEngagementFlagsTest, HelpListsTheAlertFlagsAndBadRulesAreRefused) {
  const std::string binary = cairn::testing::CollectorBinaryPath();
  ASSERT_FALSE(binary.empty());
  absl::StatusOr<ShellResult> run = RunShell(binary + " --help 2>&1");
  ASSERT_TRUE(run.ok()) << run.status();
  const std::string& help = run->output;
  for (const char* flag :
       {"alert_webhook_url", "alert_webhook_secret_file", "alert_interval_minutes", "drop_ratio",
        "severe_ratio", "severe_weeks", "min_baseline_weekly_logins"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
  TempDir dir;
  // `timeout`: should a bad rule be accepted, the collector would serve;
  // the test then fails (exit 124) instead of hanging.
  const std::string base = absl::StrCat("timeout 20 ", binary, " --db=", dir.File("c.db"),
                                        " --write-key=wk-0123456789 --listen=127.0.0.1:0 ");
  // Exit code 2 (usage) for an invalid rule or a webhook without a secret.
  for (const std::string flags :
       {"--severe-ratio=0.9 --drop-ratio=0.5", "--severe-weeks=9",
        "--alert-webhook-url=http://127.0.0.1:9/x", "--alert-interval-minutes=-1"}) {
    int status = std::system((base + flags + " > /dev/null 2>&1").c_str());
    ASSERT_TRUE(WIFEXITED(status)) << flags;
    EXPECT_EQ(WEXITSTATUS(status), 2) << flags;
  }
}

// A customer link is handed to the vendor's customer: its holder must not be
// able to crowd out the operator. The customer view has its own worker and
// queue, and each link its own rate limit (429 with Retry-After).
TEST_F(CollectorEngagementProcessTest, CustomerLinksCannotStarveTheOperator) {
  Post({MakeGrant("alpha", "a1", kMilestones),
        MakeMilestone("alpha", "a1", "alpha_first_invoice", std::nullopt, absl::Now())});
  HttpResult link = Call("POST", "/v1/accounts/alpha/customer-link", R"({"ttl_hours": 2})");
  ASSERT_EQ(link.status, 200) << link.body;
  const std::string token = StringValues(link.body, "token").at(0);

  // One link, far over its rate: the burst is served, then 429.
  int ok = 0, limited = 0;
  std::string retry_after;
  for (int i = 0; i < 80; ++i) {
    HttpResult overview = Overview(token);
    if (overview.status == 200) ++ok;
    if (overview.status == 429) {
      ++limited;
      retry_after = overview.headers["retry-after"];
    }
  }
  EXPECT_GE(ok, 20);
  EXPECT_GT(limited, 0);
  EXPECT_EQ(ok + limited, 80);
  EXPECT_FALSE(retry_after.empty());

  // Many links at once (each its own bucket) while the operator works: the
  // operator's requests go to the admin worker and are all answered.
  std::atomic<bool> stop{false};
  std::vector<std::thread> flood;
  for (int t = 0; t < 16; ++t) {
    flood.emplace_back([&, t] {
      for (int i = 0; i < 200 && !stop.load(); ++i) {
        (void)cairn::testing::HttpGet(
            collector_->base_url() + "/v1/customer/overview",
            {absl::StrCat("Authorization: CustomerLink flood-", t, "-", i)});
      }
    });
  }
  for (int i = 0; i < 20; ++i) {
    HttpResult accounts = Call("GET", "/v1/accounts");
    EXPECT_EQ(accounts.status, 200) << accounts.body;
  }
  stop = true;
  for (std::thread& thread : flood) thread.join();
}

}  // namespace
}  // namespace cairn::collector
