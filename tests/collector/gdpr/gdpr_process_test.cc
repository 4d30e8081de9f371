// Consent and GDPR features end to end through the real cairn-collector
// binary: HTTP in, SQLite file and admin API answers out.
#include <sys/wait.h>

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cairn/common/sqlite.h"
#include "child_process.h"
#include "collector_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http_client.h"
#include "json_fields.h"
#include "temp_dir.h"
#include "test_batches.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::CollectorFixture;
using ::cairn::testing::CollectorProcess;
using ::cairn::testing::CollectorProcessOptions;
using ::cairn::testing::HttpResult;
using ::cairn::testing::MakeBatch;
using ::cairn::testing::MakeConsentChange;
using ::cairn::testing::MakeGrant;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::MakeMilestone;
using ::cairn::testing::RawValue;
using ::cairn::testing::RunShell;
using ::cairn::testing::Section;
using ::cairn::testing::ShellResult;
using ::cairn::testing::SqliteQueryInt;
using ::cairn::testing::StringArray;
using ::cairn::testing::StringValues;
using ::cairn::testing::UrlEncode;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kWriteKey[] = "gdpr-write-key";
constexpr char kAdminToken[] = "gdpr-admin-token";
constexpr auto kAnalytics = cairn::v1::PURPOSE_USAGE_ANALYTICS;
constexpr auto kRenewal = cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS;
constexpr auto kGranted = cairn::v1::CONSENT_DECISION_GRANTED;
constexpr auto kDenied = cairn::v1::CONSENT_DECISION_DENIED;

class CollectorGdprProcessTest : public CollectorFixture {
 protected:
  void SetUp() override { Start(); }

  void Start(std::vector<std::string> flags = {}, std::string admin_token = kAdminToken) {
    CollectorProcessOptions options;
    options.write_key = kWriteKey;
    options.admin_token = std::move(admin_token);
    options.extra_flags = std::move(flags);
    StartCollectorWith(std::move(options));
  }

  HttpResult PostBatch(const cairn::v1::Batch& batch, const std::string& key = kWriteKey,
                       std::vector<std::string> extra_headers = {}) {
    return PostBatchBody(batch.SerializeAsString(), key, "application/x-protobuf", "",
                         std::move(extra_headers));
  }
  cairn::v1::BatchResponse Post(std::vector<cairn::v1::Event> events) {
    HttpResult result = PostBatch(MakeBatch(std::move(events)));
    EXPECT_EQ(result.status, 200) << result.body;
    cairn::v1::BatchResponse response;
    EXPECT_TRUE(response.ParseFromString(result.body));
    return response;
  }

  std::vector<std::string> Auth(const std::string& token = kAdminToken) {
    return {absl::StrCat("Authorization: Bearer ", token)};
  }
  HttpResult AdminGet(const std::string& path, const std::string& token = kAdminToken) {
    return Request("GET", path, "", Auth(token));
  }
  HttpResult AdminDelete(const std::string& path, const std::string& token = kAdminToken) {
    return Request("DELETE", path, "", Auth(token));
  }
  HttpResult AdminPost(const std::string& path, const std::string& token = kAdminToken) {
    return Request("POST", path, "", Auth(token));
  }

  std::vector<std::string> Recipients(const std::string& account) {
    HttpResult result =
        AdminGet("/v1/renewal-notifications/recipients?account_id=" + UrlEncode(account));
    EXPECT_EQ(result.status, 200) << result.body;
    EXPECT_EQ(result.headers["content-type"], "application/json");
    EXPECT_EQ(RawValue(result.body, "account_id"), absl::StrCat("\"", account, "\""));
    return StringArray(result.body, "recipients");
  }

  int64_t QueryInt(const std::string& sql) { return SqliteQueryInt(db_path_, sql); }

  std::string Summary() {
    std::string command =
        absl::StrCat("'", cairn::testing::CollectorBinaryPath(), "' summary --db='", db_path_, "'");
    absl::StatusOr<ShellResult> run = RunShell(command);
    EXPECT_TRUE(run.ok()) << run.status();
    if (!run.ok()) return "";
    EXPECT_EQ(run->exit_code(), 0) << run->output;
    return run->output;
  }
};

TEST_F(CollectorGdprProcessTest,
       ConsentChangeArrivesWithItsPolicyVersionEvenWhenAnalyticsIsDenied) {
  // A consent-only batch from a device with no install id yet.
  cairn::v1::Batch batch = MakeBatch(
      {MakeConsentChange("acct", "u1", kAnalytics, kDenied, absl::Now(), "2025-11"),
       MakeConsentChange("acct", "u1", kRenewal, kGranted, absl::Now(), "2025-11"),
       MakeConsentChange("acct", "u1", kAnalytics, kGranted, absl::Now(), /*policy_version=*/"")});
  batch.mutable_client()->clear_install_id();
  HttpResult result = PostBatch(batch);
  ASSERT_EQ(result.status, 200) << result.body;
  cairn::v1::BatchResponse response;
  ASSERT_TRUE(response.ParseFromString(result.body));
  EXPECT_EQ(response.accepted(), 2u);
  ASSERT_EQ(response.rejected_size(), 1);
  EXPECT_EQ(response.rejected(0).index(), 2u);
  EXPECT_EQ(response.rejected(0).reason(), cairn::v1::REJECT_REASON_MISSING_POLICY_VERSION);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_records WHERE policy_version = '2025-11' "
                     "AND sdk_version = '0.0.0'"),
            2);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_records WHERE policy_version = ''"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM batches WHERE install_id = ''"), 1);
}

TEST_F(CollectorGdprProcessTest, EventForANeverGrantedPurposeIsRejectedAndCounted) {
  // Posted straight to the collector, bypassing the SDK's own check.
  cairn::v1::Event login = MakeLogin("acct", "stranger");
  cairn::v1::BatchResponse response = Post({login});
  EXPECT_EQ(response.accepted(), 0u);
  ASSERT_EQ(response.rejected_size(), 1);
  EXPECT_EQ(response.rejected(0).index(), 0u);
  EXPECT_EQ(response.rejected(0).reason(), cairn::v1::REJECT_REASON_NOT_STORED);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM events"), 0);

  // Granted: the same user's next event is stored.
  EXPECT_EQ(
      Post({MakeGrant("acct", "stranger", kAnalytics), MakeLogin("acct", "stranger")}).accepted(),
      2u);
  ASSERT_TRUE(collector_->Stop().ok());
  collector_.reset();
  std::string summary = Summary();
  EXPECT_THAT(summary, HasSubstr("events rejected by the collector: 1"));
  EXPECT_THAT(summary, HasSubstr("no_consent"));
  EXPECT_THAT(summary, ::testing::Not(HasSubstr("stranger")));  // no personal data
}

TEST_F(CollectorGdprProcessTest, OptedOutUsersNeverAppearInRenewalRecipients) {
  absl::Time t = absl::Now() - absl::Hours(1);
  Post({MakeGrant("acme", "alice", kRenewal), MakeGrant("acme", "bob", kRenewal),
        MakeGrant("acme", "bob", kAnalytics), MakeGrant("acme", "carol", kRenewal),
        MakeGrant("globex", "gina", kRenewal)});
  EXPECT_THAT(Recipients("acme"), ElementsAre("alice", "bob", "carol"));

  Post({MakeConsentChange("acme", "bob", kRenewal, kDenied, t)});
  EXPECT_THAT(Recipients("acme"), ElementsAre("alice", "carol"));

  // New events of bob: still out.
  EXPECT_EQ(Post({MakeLogin("acme", "bob")}).accepted(), 1u);
  EXPECT_THAT(Recipients("acme"), ElementsAre("alice", "carol"));

  // Erased: still out, also after he records again (dropped on arrival).
  EXPECT_EQ(AdminDelete("/v1/users/bob").status, 200);
  EXPECT_THAT(Recipients("acme"), ElementsAre("alice", "carol"));
  cairn::v1::BatchResponse late =
      Post({MakeLogin("acme", "bob"), MakeGrant("acme", "bob", kRenewal, absl::Now())});
  EXPECT_EQ(late.accepted(), 0u);
  EXPECT_THAT(Recipients("acme"), ElementsAre("alice", "carol"));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM renewal_suppression"), 1);
  EXPECT_THAT(Recipients("globex"), ElementsAre("gina"));

  // Bad requests.
  EXPECT_EQ(AdminGet("/v1/renewal-notifications/recipients").status, 400);
  EXPECT_EQ(AdminGet("/v1/renewal-notifications/recipients?account_id=acme&limit=0").status, 400);
  HttpResult paged = AdminGet("/v1/renewal-notifications/recipients?account_id=acme&limit=1");
  ASSERT_EQ(paged.status, 200);
  EXPECT_THAT(StringArray(paged.body, "recipients"), ElementsAre("alice"));
  EXPECT_THAT(StringValues(paged.body, "next_after"), ElementsAre("alice"));
}

TEST_F(CollectorGdprProcessTest, ExportReturnsEveryStoredEventAndConsentRecordOfTheUser) {
  // An id that needs %-encoding in the path.
  const std::string user = "user/with:odd+chars";
  std::set<std::string> expected_ids;
  std::vector<cairn::v1::Event> events = {MakeGrant("acct", user, kAnalytics),
                                          MakeGrant("acct", user, cairn::v1::PURPOSE_MILESTONES)};
  for (int i = 0; i < 300; ++i) {
    events.push_back(i % 3 == 0 ? MakeMilestone("acct", user, "m" + std::to_string(i))
                                : MakeLogin("acct", user));
  }
  for (const auto& e : events) expected_ids.insert(e.event_id());
  // 302 events: three batches within the default per-batch limit.
  for (size_t start = 0; start < events.size(); start += 120) {
    std::vector<cairn::v1::Event> part(events.begin() + start,
                                       events.begin() + std::min(events.size(), start + 120));
    size_t n = part.size();
    EXPECT_EQ(Post(std::move(part)).accepted(), n);
  }
  Post({MakeGrant("acct", "someone-else", kAnalytics), MakeLogin("acct", "someone-else")});

  HttpResult result = AdminGet("/v1/users/" + UrlEncode(user) + "/export");
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(result.headers["content-type"], "application/json");
  std::string_view body = result.body;
  EXPECT_EQ(RawValue(body, "truncated"), "false");
  std::string_view events_part = Section(body, "events", "consent_records");
  std::string_view records_part = Section(body, "consent_records", "consent_state");
  std::vector<std::string> ids = StringValues(events_part, "event_id");
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), expected_ids);
  EXPECT_EQ(ids.size(), expected_ids.size());
  EXPECT_EQ(StringValues(events_part, "received_at").size(), expected_ids.size());
  for (const std::string& id : StringValues(events_part, "user_id")) EXPECT_EQ(id, user);
  EXPECT_THAT(StringValues(records_part, "purpose"), ElementsAre("usage_analytics", "milestones"));
  EXPECT_THAT(StringValues(records_part, "decision"), ElementsAre("granted", "granted"));
  EXPECT_THAT(StringValues(records_part, "policy_version"), ElementsAre("2025-01", "2025-01"));
}

TEST_F(CollectorGdprProcessTest, EraseRemovesTheUserAndDropsTheirLaterEvents) {
  std::vector<cairn::v1::Event> events = {MakeGrant("acct", "erin", kAnalytics),
                                          MakeGrant("acct", "other", kAnalytics)};
  for (int i = 0; i < 20; ++i) events.push_back(MakeLogin("acct", "erin"));
  events.push_back(MakeLogin("acct", "other"));
  Post(std::move(events));
  absl::Time before_erasure = absl::Now() - absl::Minutes(5);
  // The account's users: erin carries it.
  HttpResult users = AdminGet("/v1/accounts/acct/users");
  ASSERT_EQ(users.status, 200) << users.body;
  EXPECT_THAT(StringValues(users.body, "user_id"), ElementsAre("erin", "other", "erin"));
  EXPECT_EQ(RawValue(users.body, "single_user_dependence"), "true");

  HttpResult erased = AdminDelete("/v1/users/erin");
  ASSERT_EQ(erased.status, 200) << erased.body;
  EXPECT_EQ(RawValue(erased.body, "events_deleted"), "21");
  EXPECT_EQ(RawValue(erased.body, "consent_records_pseudonymised"), "1");
  EXPECT_EQ(RawValue(erased.body, "already_erased"), "false");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM events WHERE user_id = 'erin'"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM events WHERE user_id = 'other'"), 2);
  // Gone from the account's users, and no longer counted.
  users = AdminGet("/v1/accounts/acct/users");
  ASSERT_EQ(users.status, 200) << users.body;
  EXPECT_THAT(users.body, Not(HasSubstr("erin")));
  EXPECT_THAT(StringValues(users.body, "user_id"), ElementsAre("other", "other"));
  EXPECT_EQ(RawValue(users.body, "known_users"), "1");
  EXPECT_EQ(RawValue(users.body, "single_user_dependence"), "false");

  // Late offline events, dated before and after the erasure.
  cairn::v1::BatchResponse late = Post({MakeLogin("acct", "erin", before_erasure),
                                        MakeLogin("acct", "erin", absl::Now() + absl::Minutes(1))});
  EXPECT_EQ(late.accepted(), 0u);
  ASSERT_EQ(late.rejected_size(), 2);
  EXPECT_EQ(late.rejected(0).reason(), cairn::v1::REJECT_REASON_NOT_STORED);
  EXPECT_EQ(late.rejected(1).reason(), cairn::v1::REJECT_REASON_NOT_STORED);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM events WHERE user_id = 'erin'"), 0);

  std::string exported = AdminGet("/v1/users/erin/export").body;
  EXPECT_THAT(exported, HasSubstr("\"events\":[]"));
  EXPECT_THAT(exported, HasSubstr("\"consent_records\":[]"));
  EXPECT_EQ(RawValue(AdminDelete("/v1/users/erin").body, "already_erased"), "true");
  // A withdrawal of usage analytics takes the last user out too: no data of
  // the account is left, so it is not found.
  Post({MakeConsentChange("acct", "other", kAnalytics, cairn::v1::CONSENT_DECISION_DENIED,
                          absl::Now())});
  users = AdminGet("/v1/accounts/acct/users");
  EXPECT_EQ(users.status, 404) << users.body;
  EXPECT_THAT(users.body, Not(HasSubstr("other")));
  EXPECT_EQ(AdminDelete("/v1/users/" + std::string(200, 'x')).status, 400);
  EXPECT_EQ(AdminDelete("/v1/users/bad%2").status, 400);
}

TEST_F(CollectorGdprProcessTest, RetentionPurgeRemovesEventsOlderThanTheSetting) {
  Start({"--retention-days=30"});
  absl::Time now = absl::Now();
  cairn::v1::Event old_login = MakeLogin("acct", "u", now - absl::Hours(24 * 40));
  cairn::v1::Event young_login = MakeLogin("acct", "u", now - absl::Hours(24 * 20));
  Post({MakeGrant("acct", "u", kAnalytics, now - absl::Hours(24 * 50)), old_login, young_login});
  HttpResult purged = AdminPost("/v1/admin/purge");
  ASSERT_EQ(purged.status, 200) << purged.body;
  EXPECT_EQ(RawValue(purged.body, "retention_days"), "30");
  EXPECT_EQ(RawValue(purged.body, "events_deleted"), "2");  // old login and grant event
  EXPECT_EQ(QueryInt(absl::StrCat("SELECT count(*) FROM events WHERE event_id = '",
                                  old_login.event_id(), "'")),
            0);
  EXPECT_EQ(QueryInt(absl::StrCat("SELECT count(*) FROM events WHERE event_id = '",
                                  young_login.event_id(), "'")),
            1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_records"), 1);

  // At start the purge runs on its own.
  Post({MakeLogin("acct", "u", now - absl::Hours(24 * 45))});
  Start({"--retention-days=30"});
  EXPECT_EQ(QueryInt("SELECT count(*) FROM events"), 1);
}

TEST_F(CollectorGdprProcessTest, AdminTokenAndWriteKeyAreSeparate) {
  // The write key never opens the admin API.
  HttpResult with_write_key = AdminGet("/v1/users/u/export", kWriteKey);
  EXPECT_EQ(with_write_key.status, 401);
  EXPECT_EQ(with_write_key.headers["www-authenticate"], "Bearer");
  EXPECT_EQ(AdminDelete("/v1/users/u", kWriteKey).status, 401);
  EXPECT_EQ(AdminPost("/v1/admin/purge", kWriteKey).status, 401);
  EXPECT_EQ(cairn::testing::HttpGet(collector_->base_url() + "/v1/users/u/export")->status, 401);
  // The admin token never opens /v1/batch.
  EXPECT_EQ(PostBatch(MakeBatch({MakeGrant("a", "u", kAnalytics)}), kAdminToken).status, 401);
  // Wrong methods.
  EXPECT_EQ(AdminPost("/v1/users/u/export").status, 405);
  EXPECT_EQ(AdminGet("/v1/users/u").status, 405);
  EXPECT_EQ(AdminGet("/v1/admin/purge").status, 405);

  // Without an admin token the admin API does not exist.
  Start({}, "");
  EXPECT_EQ(AdminGet("/v1/users/u/export").status, 404);
  EXPECT_EQ(AdminGet("/v1/renewal-notifications/recipients?account_id=a").status, 404);

  // The same secret for both is refused at start.
  collector_->Stop().IgnoreError();
  collector_.reset();
  CollectorProcessOptions same;
  same.db_path = db_path_;
  same.write_key = kWriteKey;
  same.admin_token = kWriteKey;
  EXPECT_FALSE(CollectorProcess::Start(same).ok());
}

TEST_F(CollectorGdprProcessTest, ClientIpAndUserAgentAreStoredOnlyWhenTurnedOn) {
  std::vector<std::string> agent = {"User-Agent: cairn-sdk-test/9.9"};
  ASSERT_EQ(PostBatch(MakeBatch({MakeGrant("a", "u", kAnalytics)}), kWriteKey, agent).status, 200);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM batches WHERE client_ip IS NOT NULL OR "
                     "user_agent IS NOT NULL"),
            0);
  Start({"--store-client-ip", "--store-user-agent"});
  ASSERT_EQ(PostBatch(MakeBatch({MakeGrant("a", "u", kAnalytics)}), kWriteKey, agent).status, 200);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM batches WHERE client_ip = '127.0.0.1' AND "
                     "user_agent = 'cairn-sdk-test/9.9'"),
            1);
  Start({"--store-client-ip"});
  ASSERT_EQ(PostBatch(MakeBatch({MakeGrant("a", "u", kAnalytics)}), kWriteKey, agent).status, 200);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM batches WHERE client_ip = '127.0.0.1' AND "
                     "user_agent IS NULL"),
            1);
}

TEST_F(CollectorGdprProcessTest, AGivenHashKeyFileIsUsedAndAChangeIsRefused) {
  std::string key_file = dir_.File("hash.key");
  FILE* f = fopen(key_file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("0123456789abcdef0123456789abcdef\n", f);
  fclose(f);
  // This database was first used with the generated key (SetUp).
  collector_->Stop().IgnoreError();
  collector_.reset();
  CollectorProcessOptions options;
  options.db_path = db_path_;
  options.write_key = kWriteKey;
  options.extra_flags = {"--hash-key-file=" + key_file};
  EXPECT_FALSE(CollectorProcess::Start(options).ok());
  options.db_path = dir_.File("fresh.db");
  auto fresh = CollectorProcess::Start(options);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_TRUE((*fresh)->Stop().ok());
}

}  // namespace
}  // namespace cairn::collector
