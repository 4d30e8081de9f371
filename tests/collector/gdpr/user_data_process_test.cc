// What the collector holds about a user, through the real binary: the
// retention of the engagement aggregates, the completeness of the export,
// and the collector's attribute allowlist. HTTP in, SQLite file and admin
// answers out.
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cairn/common/sqlite.h"
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
using ::cairn::testing::CollectorProcessOptions;
using ::cairn::testing::HttpResult;
using ::cairn::testing::MakeConsentChange;
using ::cairn::testing::MakeGrant;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::MakeMilestone;
using ::cairn::testing::RawValue;
using ::cairn::testing::Section;
using ::cairn::testing::SqliteQueryInt;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kWriteKey[] = "user-data-write-key";
constexpr char kAdminToken[] = "user-data-admin-token";
constexpr auto kAnalytics = cairn::v1::PURPOSE_USAGE_ANALYTICS;
constexpr auto kMilestones = cairn::v1::PURPOSE_MILESTONES;
constexpr auto kRenewal = cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS;
constexpr auto kGranted = cairn::v1::CONSENT_DECISION_GRANTED;
constexpr auto kDenied = cairn::v1::CONSENT_DECISION_DENIED;

class CollectorUserDataProcessTest : public CollectorFixture {
 protected:
  void Start(std::vector<std::string> flags = {}) {
    CollectorProcessOptions options;
    options.write_key = kWriteKey;
    options.admin_token = kAdminToken;
    options.extra_flags = std::move(flags);
    StartCollectorWith(std::move(options));
  }

  cairn::v1::BatchResponse Post(std::vector<cairn::v1::Event> events) {
    return PostEvents(std::move(events), kWriteKey);
  }

  HttpResult Admin(const std::string& method, const std::string& path) {
    return Request(method, path, "", {absl::StrCat("Authorization: Bearer ", kAdminToken)});
  }

  int64_t QueryInt(const std::string& sql) { return SqliteQueryInt(db_path_, sql); }

  // Tables of the collector's schema with a column naming a user.
  std::set<std::string> TablesNamingAUser() {
    std::set<std::string> tables;
    sqlite::OpenOptions options;
    options.read_only = true;
    auto db = sqlite::Database::Open(db_path_, options);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return tables;
    auto stmt = (*db)->Prepare(
        "SELECT DISTINCT m.name FROM sqlite_master m, pragma_table_info(m.name) p "
        "WHERE m.type = 'table' AND p.name IN ('user_id', 'user_hash')");
    EXPECT_TRUE(stmt.ok()) << stmt.status();
    if (!stmt.ok()) return tables;
    while (true) {
      absl::StatusOr<bool> row = stmt->Step();
      EXPECT_TRUE(row.ok()) << row.status();
      if (!row.ok() || !*row) break;
      // The events are stored in event_rows and read as the events view,
      // which is what the export names.
      const std::string_view table = stmt->ColumnText(0);
      tables.emplace(table == "event_rows" ? "events" : table);
    }
    return tables;
  }
};

// Retention reaches the per-user aggregates: after a purge no aggregate row
// of a user is older than the window, while the account keeps its first
// login, each milestone's first reach and the milestone events per day
// without a user id, so the account's milestone figures do not change.
TEST_F(CollectorUserDataProcessTest, RetentionLeavesNoPerUserAggregateOlderThanTheWindow) {
  Start({"--retention-days=200"});
  const absl::Time now = absl::Now();
  const absl::Time old = now - absl::Hours(24 * 250);
  const absl::Time young = now - absl::Hours(24 * 5);
  Post({MakeGrant("acct", "olga", kAnalytics, now - absl::Hours(24 * 300)),
        MakeGrant("acct", "olga", kMilestones, now - absl::Hours(24 * 300)),
        MakeLogin("acct", "olga", old), MakeMilestone("acct", "olga", "first_invoice", 2.0, old),
        MakeLogin("acct", "olga", young),
        MakeMilestone("acct", "olga", "first_invoice", 3.0, young)});
  HttpResult before = Admin("GET", "/v1/accounts/acct");
  ASSERT_EQ(before.status, 200) << before.body;

  HttpResult purged = Admin("POST", "/v1/admin/purge");
  ASSERT_EQ(purged.status, 200) << purged.body;
  const absl::Time cutoff = now - absl::Hours(24 * 200);
  const int64_t cutoff_ms = absl::ToUnixMillis(cutoff);
  const int64_t cutoff_day = engagement::DayOf(cutoff);
  EXPECT_EQ(QueryInt(absl::StrCat("SELECT count(*) FROM user_day WHERE day < ", cutoff_day)), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM user_day WHERE user_id = 'olga'"), 1);
  EXPECT_EQ(QueryInt(absl::StrCat("SELECT count(*) FROM user_first_login WHERE first_login_ms < ",
                                  cutoff_ms)),
            0);
  EXPECT_EQ(QueryInt(absl::StrCat("SELECT count(*) FROM user_milestone WHERE first_reached_ms < ",
                                  cutoff_ms)),
            0);
  EXPECT_EQ(
      QueryInt(absl::StrCat("SELECT count(*) FROM user_milestone_day WHERE day < ", cutoff_day)),
      0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM user_milestone_day WHERE user_id = 'olga'"), 1);
  // Folded without the user.
  // The time as corrected for the device's clock (the batch's transit).
  EXPECT_NEAR(QueryInt("SELECT first_login_ms FROM account_first_login WHERE account_id = 'acct'"),
              absl::ToUnixMillis(old), 60000);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM account_milestone WHERE name = 'first_invoice'"), 1);
  EXPECT_EQ(QueryInt("SELECT sum(events) FROM account_milestone_day"), 1);
  EXPECT_NE(RawValue(purged.body, "aggregate_rows_deleted"), "<missing>");

  HttpResult after = Admin("GET", "/v1/accounts/acct");
  ASSERT_EQ(after.status, 200) << after.body;
  // First reach and time to value are measured from the folded rows.
  EXPECT_EQ(Section(after.body, "milestones", "goals"),
            Section(before.body, "milestones", "goals"));
  EXPECT_THAT(Section(after.body, "milestones", "goals"),
              HasSubstr(absl::FormatTime("%Y-%m-%d", old, absl::UTCTimeZone())));
}

// The export holds the user's rows of every table that names a user (the
// schema is read, so a new table cannot be left out silently): consent
// state, suppression, tombstone, aggregates and delivering batches too.
TEST_F(CollectorUserDataProcessTest, ExportCoversEveryTableThatNamesAUser) {
  Start({"--store-client-ip", "--attribute-allowlist=plan"});
  Post({MakeGrant("acct", "exa", kAnalytics), MakeGrant("acct", "exa", kMilestones),
        MakeConsentChange("acct", "exa", kRenewal, kGranted, absl::Now() - absl::Minutes(2)),
        MakeConsentChange("acct", "exa", kRenewal, kDenied, absl::Now() - absl::Minutes(1)),
        MakeLogin("acct", "exa"), MakeMilestone("acct", "exa", "first_invoice", 5.0),
        MakeGrant("acct", "exa", cairn::v1::PURPOSE_FEEDBACK),
        cairn::testing::MakeFeedback("acct", "exa", cairn::v1::FEEDBACK_KIND_NPS, 8, absl::Now(),
                                     "zz-comment-zz")});
  Post({MakeGrant("acct", "gone", kAnalytics), MakeLogin("acct", "gone")});
  ASSERT_EQ(Admin("DELETE", "/v1/users/gone").status, 200);

  HttpResult exported = Admin("GET", "/v1/users/exa/export");
  ASSERT_EQ(exported.status, 200) << exported.body;
  HttpResult erased = Admin("GET", "/v1/users/gone/export");
  ASSERT_EQ(erased.status, 200) << erased.body;

  const std::set<std::string> tables = TablesNamingAUser();
  EXPECT_GE(tables.size(), 9u);
  for (const std::string& table : tables) {
    const std::string key = absl::StrCat("\"", table, "\":[");
    EXPECT_THAT(exported.body, HasSubstr(key)) << table;
    EXPECT_THAT(erased.body, HasSubstr(key)) << table;
    // Each table's rows about the user are there (the tombstone only for the
    // erased user, everything else for the other).
    const std::string& holder = table == "erased_users" ? erased.body : exported.body;
    EXPECT_THAT(holder, HasSubstr(absl::StrCat(key, "{"))) << table;
  }
  EXPECT_THAT(Section(exported.body, "consent_state", "renewal_suppression"),
              HasSubstr("\"decision\":\"denied\""));
  EXPECT_THAT(Section(exported.body, "batches", "user_day"),
              HasSubstr("\"client_ip\":\"127.0.0.1\""));
  EXPECT_THAT(Section(exported.body, "user_milestone_day"), HasSubstr("\"events\":1"));
  // The feedback comment is in the user's event, not in the aggregate.
  EXPECT_THAT(Section(exported.body, "events", "consent_records"), HasSubstr("zz-comment-zz"));
  EXPECT_THAT(Section(exported.body, "user_feedback_day"), HasSubstr("\"score\":8"));
  EXPECT_THAT(Section(exported.body, "user_feedback_day"), Not(HasSubstr("zz-comment-zz")));
  // Nothing of another user.
  EXPECT_THAT(exported.body, Not(HasSubstr("gone")));
}

// An attribute posted straight to the collector is kept only if its key is
// on --attribute-allowlist (also from a --flagfile); the others are removed
// from the stored event, which is kept, and counted. By default none is kept.
TEST_F(CollectorUserDataProcessTest, OnlyAllowlistedAttributesAreStored) {
  const std::string flagfile = dir_.File("collector.flags");
  std::ofstream(flagfile) << "--attribute-allowlist=plan\n";
  Start({"--flagfile=" + flagfile});
  cairn::v1::Event milestone = MakeMilestone("acct", "ada", "first_invoice");
  (*milestone.mutable_attributes())["plan"] = "pro-tier";
  (*milestone.mutable_attributes())["home_address"] = "zz-private-zz";
  cairn::v1::BatchResponse response = Post({MakeGrant("acct", "ada", kMilestones), milestone});
  EXPECT_EQ(response.accepted(), 2u);
  EXPECT_EQ(response.rejected_size(), 0);
  EXPECT_EQ(
      QueryInt(absl::StrCat("SELECT count(*) FROM events WHERE event_id = '", milestone.event_id(),
                            "' AND attributes_json = '{\"plan\":\"pro-tier\"}'")),
      1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM events WHERE instr(event_proto, 'zz-private-zz') > 0 "
                     "OR instr(event_proto, 'home_address') > 0"),
            0);
  HttpResult metrics = Request("GET", "/metrics");
  EXPECT_THAT(metrics.body, HasSubstr("cairn_attributes_dropped_total 1\n"));

  // Without the flag no attribute is kept; the event is.
  Start();
  cairn::v1::Event login = MakeLogin("acct", "ada");
  (*login.mutable_attributes())["plan"] = "basic-tier";
  EXPECT_EQ(Post({MakeGrant("acct", "ada", kAnalytics), login}).accepted(), 2u);
  EXPECT_EQ(QueryInt(absl::StrCat("SELECT count(*) FROM events WHERE event_id = '",
                                  login.event_id(), "' AND attributes_json = '{}'")),
            1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM events WHERE instr(event_proto, 'basic-tier') > 0"), 0);
  EXPECT_THAT(Request("GET", "/metrics").body, HasSubstr("cairn_attributes_dropped_total 1\n"));

  // "*" keeps every attribute, as before the collector had an allowlist.
  Start({"--attribute-allowlist=*"});
  cairn::v1::Event kept = MakeLogin("acct", "ada");
  (*kept.mutable_attributes())["anything"] = "kept-value";
  EXPECT_EQ(Post({kept}).accepted(), 1u);
  EXPECT_EQ(QueryInt(absl::StrCat("SELECT count(*) FROM events WHERE event_id = '", kept.event_id(),
                                  "' AND attributes_json = '{\"anything\":\"kept-value\"}'")),
            1);
}

}  // namespace
}  // namespace cairn::collector
