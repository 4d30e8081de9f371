// cairnctl's pure parts: the text it prints for fixed answers of the admin
// API (cairn.admin.v1 messages read from JSON).
#include <string>
#include <vector>

#include "cairn/common/json_value.h"
#include "cli_format.h"
#include "cli_format_access.h"
#include "cli_format_book.h"
#include "cli_format_health_model.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace cairn::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// An answer as cairnctl reads it: JSON into its message.
template <typename Message>
Message Read(std::string_view text) {
  Message message;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(
                  google::protobuf::StringPiece(text.data(), text.size()), &message)
                  .ok())
      << text;
  return message;
}

std::vector<admin::v1::Account> Accounts(const admin::v1::AccountPage& page) {
  return {page.accounts().begin(), page.accounts().end()};
}

TEST(CollectorCairnctlJsonTest, QuotesStrings) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(CollectorCairnctlFormatTest, SparklineScalesToTheLargest) {
  EXPECT_EQ(Sparkline({0, 1, 2, 3, 4, 5, 6, 7}), "▁▂▃▄▅▆▇█");
  EXPECT_EQ(Sparkline({10, 10, 5, 0}), "██▅▁");
  EXPECT_EQ(Sparkline({0, 0}), "▁▁");
  EXPECT_EQ(Sparkline({}), "");
}

TEST(CollectorCairnctlFormatTest, TableAlignsByDisplayWidth) {
  TextTable table({"NAME", "N", "SPARK"}, {false, true, false});
  table.AddRow({"a", "5", "▁█"});
  table.AddRow({"longer", "12", "█"});
  EXPECT_EQ(table.Render(),
            "NAME     N  SPARK\n"
            "a        5  ▁█\n"
            "longer  12  █\n");
  EXPECT_EQ(DisplayWidth("↓ ▁▂"), 4u);
}

TEST(CollectorCairnctlFormatTest, ServerTextCannotDriveTheTerminal) {
  EXPECT_EQ(TerminalSafe("evil\x1b[2Jname\x07\r\n"), "evil?[2Jname???");
  EXPECT_EQ(TerminalSafe("csi\xC2\x9B"
                         "2J caf\xC3\xA9"),
            "csi?2J caf\xC3\xA9");
  admin::v1::AlertList alerts = Read<admin::v1::AlertList>(
      R"({"alerts":[{"alert_id":"a1","account_id":"\u001b[31mred","severity":"drop"}]})");
  EXPECT_THAT(FormatAlerts(alerts), Not(HasSubstr("\x1b")));
}

TEST(CollectorCairnctlFormatTest, WhoAmIIsOneLine) {
  EXPECT_EQ(FormatWhoAmI(Read<admin::v1::WhoAmI>(R"({"name":"maria","role":"csm"})")),
            "maria (role csm)\n");
  EXPECT_EQ(FormatWhoAmI(Read<admin::v1::WhoAmI>(R"({"name":"a\u001b[2Jb","role":""})")),
            "a?[2Jb (role -)\n");
}

TEST(CollectorCairnctlFormatTest, TrendArrows) {
  EXPECT_EQ(TrendText(Read<admin::v1::Trend>(
                R"({"this_week": 4, "baseline_mean": 20.5, "ratio": 0.195})")),
            "↓ 4 vs 20.5 (20%)");
  EXPECT_EQ(
      TrendText(Read<admin::v1::Trend>(R"({"this_week": 30, "baseline_mean": 20, "ratio": 1.5})")),
      "↑ 30 vs 20.0 (150%)");
  EXPECT_EQ(
      TrendText(Read<admin::v1::Trend>(R"({"this_week": 19, "baseline_mean": 20, "ratio": 0.95})")),
      "→ 19 vs 20.0 (95%)");
  EXPECT_EQ(
      TrendText(Read<admin::v1::Trend>(R"({"this_week": 3, "baseline_mean": 0, "ratio": null})")),
      "→ 3 vs 0.0 (no baseline)");
}

constexpr std::string_view kAccounts = R"({
  "as_of": "2026-11-23T16:00:00Z",
  "accounts": [
    {"account_id": "globex", "health": {"score": 22, "band": "poor", "capped": true},
     "login_days_14": 3, "frequency_band": "occasional",
     "trend": {"this_week": 3, "baseline_mean": 21, "ratio": 0.143},
     "breadth": {"active_users_14": 2, "denominator": 10, "basis": "seats", "ratio": 0.2},
     "adoption": 0.25, "weekly_logins": [20,22,21,20,19,21,22,20,21,21,9,3],
     "seats": 10, "renewal_date": "2027-01-15",
     "open_alert": {"alert_id": "al1", "severity": "severe", "opened_at": "2026-11-20T08:00:00Z"}},
    {"account_id": "initech", "health": {"score": 68, "band": "watch", "capped": false},
     "login_days_14": 6, "frequency_band": "weekly",
     "trend": {"this_week": 12, "baseline_mean": 14, "ratio": 0.857},
     "breadth": {"active_users_14": 4, "denominator": 6, "basis": "peak_90d", "ratio": 0.667},
     "adoption": null, "weekly_logins": [10,12,14,14,15,13,14,14,14,14,14,12],
     "seats": null, "renewal_date": null, "open_alert": null},
    {"account_id": "acme", "health": {"score": 91, "band": "good", "capped": false},
     "login_days_14": 12, "frequency_band": "daily",
     "trend": {"this_week": 40, "baseline_mean": 38, "ratio": 1.05},
     "breadth": {"active_users_14": 9, "denominator": 10, "basis": "seats", "ratio": 0.9},
     "adoption": 1, "weekly_logins": [30,32,35,36,38,37,39,38,38,37,39,40],
     "seats": 10, "renewal_date": "2027-03-01", "open_alert": null}
  ],
  "next_page_token": ""})";

TEST(CollectorCairnctlFormatTest, AtRiskTableListsRiskyAccountsInOrder) {
  admin::v1::AccountPage page = Read<admin::v1::AccountPage>(kAccounts);
  std::string out = FormatAtRisk(Accounts(page), page.as_of(), AtRiskOptions{}, false);
  EXPECT_EQ(out.substr(0, out.find('\n')),
            "2 accounts at risk, riskiest first (as of 2026-11-23 16:00 UTC)");
  EXPECT_THAT(out, HasSubstr("ACCOUNT  HEALTH    LOGIN DAYS  TREND (WEEK VS 4-WK MEAN)  BREADTH    "
                             " ADOPTION  ALERT     "
                             "RENEWAL     WEEKLY LOGINS (12 WK)\n"
                             "globex   poor 22         3/14  ↓ 3 vs 21.0 (14%)          2/10 seats "
                             "      25%  ! severe  "
                             "2027-01-15  ▇██▇▇██▇██▄▂\n"
                             "initech  watch 68        6/14  → 12 vs 14.0 (86%)         4/6 peak   "
                             "        -  -         "
                             "-           ▆▇███▇█████▇\n"));
  EXPECT_THAT(out, Not(HasSubstr("acme")));
  EXPECT_LT(out.find("globex"), out.find("initech"));
}

TEST(CollectorCairnctlFormatTest, AtRiskAllAndLimit) {
  admin::v1::AccountPage page = Read<admin::v1::AccountPage>(kAccounts);
  AtRiskOptions all;
  all.all = true;
  std::string every = FormatAtRisk(Accounts(page), "", all, false);
  EXPECT_THAT(every, HasSubstr("3 accounts, 2 at risk, riskiest first"));
  EXPECT_THAT(every, HasSubstr("acme     good 91"));
  AtRiskOptions one;
  one.limit = 1;
  std::string first = FormatAtRisk(Accounts(page), "", one, false);
  EXPECT_THAT(first, HasSubstr("globex"));
  EXPECT_THAT(first, Not(HasSubstr("initech")));
  EXPECT_THAT(first, HasSubstr("(1 shown; --limit N for more)"));
  admin::v1::AccountPage healthy = Read<admin::v1::AccountPage>(
      R"({"accounts":[{"account_id":"acme","health":{"band":"good","score":90}}]})");
  EXPECT_THAT(FormatAtRisk(Accounts(healthy), "", AtRiskOptions{}, false),
              HasSubstr("no account is at risk"));
}

TEST(CollectorCairnctlFormatTest, AlertsRenewalsGoalsAndAccount) {
  std::string alerts =
      FormatAlerts(Read<admin::v1::AlertList>(R"({"alerts":[{"alert_id":"al1","account_id":"globex",
      "severity":"severe","state":"open","opened_at":"2026-11-20T08:00:00Z","escalated_at":null,
      "resolved_at":null,"this_week":3,"baseline_mean":21,"ratio":0.143,
      "delivery":{"state":"delivered","attempts":1,"last_error":""}}]})"));
  EXPECT_THAT(alerts, HasSubstr("al1    globex   severe    open   2026-11-20 08:00 UTC"));
  EXPECT_THAT(alerts, HasSubstr("delivered (1 tries)"));
  EXPECT_EQ(FormatAlerts(Read<admin::v1::AlertList>(R"({"alerts":[]})")), "no alerts\n");
  EXPECT_THAT(FormatAlerts(Read<admin::v1::AlertList>(
                  R"({"alerts":[{"alert_id":"al2","delivery":{"state":"failed",
      "attempts":0,"last_error":"no webhook configured"}}]})")),
              HasSubstr("failed (0 tries): no webhook configured"));

  std::string renewals = FormatRenewals(
      Read<admin::v1::RenewalList>(R"({"as_of":"x","renewals":[{"account_id":"globex",
      "renewal_date":"2027-01-15","days_left":53,"health":{"score":22,"band":"poor"},
      "notification_recipients":["u1","u2","u3","u4","u5"],"recipients_truncated":false}]})"));
  EXPECT_THAT(renewals,
              HasSubstr("globex   2027-01-15         53  poor 22  u1, u2, u3 and 2 more"));

  std::string goals =
      FormatGoals(Read<admin::v1::GoalList>(R"({"goals":[{"goal_id":"g1","account_id":"acme",
      "name":"Send 10 invoices","milestone_name":"invoice_sent","target_count":10,"start":"2026-11-01",
      "due":"2026-12-31","count":4,"expected":3.5,"fraction":0.4,"status":"on_track"}]})"));
  EXPECT_THAT(
      goals,
      HasSubstr("g1    Send 10 invoices  invoice_sent  ████░░░░░░ 4/10       3.5  on_track"));

  std::string account = FormatAccount(
      Read<admin::v1::AccountDetail>(R"({"account_id":"acme","health":{"score":91,"band":"good",
      "capped":false,"factors":{"frequency":{"applicable":true,"score":1,"band":"good","weight":30,
      "reason":"logins on 12 of the last 14 days\u001b[2J"},
      "time_to_value":{"applicable":false,"score":0,"band":"good","weight":20,
      "reason":"no key milestones defined"}}},"login_days_14":12,
      "frequency_band":"daily","trend":{"this_week":40,"baseline_mean":38,"ratio":1.05},
      "weekly_logins":[1,2,3],"milestones":[{"name":"first_invoice","first_reached":"2026-10-02T09:00:00Z",
      "time_to_value_seconds":172800,"key":true}],"goals":[]})"));
  EXPECT_THAT(account, HasSubstr("health     good 91\n"));
  // Each factor with its reason; the server's text cannot drive the terminal.
  EXPECT_THAT(account,
              HasSubstr("frequency     good 100% (weight 30)  logins on 12 of the last 14 days"));
  EXPECT_THAT(account, Not(HasSubstr("\x1b")));
  EXPECT_THAT(account, HasSubstr("time_to_value not applicable  no key milestones defined\n"));
  EXPECT_THAT(account, HasSubstr("first_invoice  2026-10-02 09:00 UTC  2.0 days       key"));
  EXPECT_THAT(account, HasSubstr("weekly     ▃▆█  1 2 3"));
  // An older server sends no optional factors: no lines for them.
  EXPECT_THAT(account, Not(HasSubstr("dependence")));

  std::string young = FormatAccount(Read<admin::v1::AccountDetail>(
      R"({"account_id":"kid","health":{"score":74,"band":"poor","capped":true,
      "profile":"onboarding","factors":{"dependence":{"applicable":true,"score":0.1,
      "band":"poor","weight":10,"reason":"the busiest user holds 95% of 100 logins"},
      "nps":{"applicable":false,"score":0,"band":"poor","weight":0,
      "reason":"not read: NPS has no weight in this health model"}}}})"));
  EXPECT_THAT(young,
              HasSubstr("health     poor 74 (capped: a factor is poor) [onboarding profile]\n"));
  EXPECT_THAT(young, HasSubstr("dependence    poor 10% (weight 10)  the busiest user holds 95%"));
  EXPECT_THAT(young, HasSubstr("nps           not applicable  not read: NPS has no weight"));

  EXPECT_EQ(FormatCustomerLink(
                Read<admin::v1::CustomerLink>(
                    R"({"account_id":"acme","token":"t","expires_at":"2026-11-30T16:00:00Z",
      "url":"/customer/#token=abc.1.ff"})"),
                "http://127.0.0.1:8080/")
                .substr(0, 48),
            "http://127.0.0.1:8080/customer/#token=abc.1.ff\n ");
  EXPECT_EQ(FormatErasure(Read<admin::v1::ErasureResult>(
                R"({"user_id":"u1","events_deleted":21,"consent_states_deleted":2,
      "consent_records_pseudonymised":3,"already_erased":false})")),
            "user u1 erased: 21 events deleted, 2 consent states deleted, 3 consent records "
            "pseudonymised\n");
  EXPECT_EQ(FormatEvaluation(Read<admin::v1::EvaluationCounts>(
                R"({"evaluated":3,"opened":1,"escalated":0,"closed":2})")),
            "evaluated 3 accounts: 1 alerts opened, 0 escalated, 2 closed\n");
}

TEST(CollectorCairnctlFormatTest, AccountUsersMarkTheChampionAndWarnOfDependence) {
  std::string text = FormatAccountUsers(Read<admin::v1::AccountUserList>(
      R"({"account_id":"acme","days":90,"from_day":"2026-01-01","to_day":"2026-03-31",)"
      R"("users":[{"user_id":"u-1","active_days":9,"logins":40,"last_seen":"2026-03-31",)"
      R"("milestones_reached":2,"login_share":0.8},{"user_id":"\u001b[2Ju-2","active_days":12,)"
      R"("logins":10,"last_seen":"2026-03-30","milestones_reached":0,"login_share":0.2}],)"
      R"("total":2,"logins":50,"known_users":2,)"
      R"("champion":{"user_id":"u-1","active_days_28":9,"logins_28":40},)"
      R"("single_user_dependence":true,"top_user_share_28":0.8})"));
  EXPECT_THAT(text, HasSubstr("acme users, 2026-01-01 to 2026-03-31 (90 days)\n"));
  EXPECT_THAT(text, HasSubstr("u-1 *"));
  EXPECT_THAT(text, HasSubstr("80%"));
  EXPECT_THAT(text, HasSubstr("2 of 2 users, 50 logins\n"));
  EXPECT_THAT(text, HasSubstr("WARNING: single-user dependence: one user holds 80%"));
  EXPECT_THAT(text, Not(HasSubstr("\x1b")));
  std::string calm = FormatAccountUsers(Read<admin::v1::AccountUserList>(
      R"({"account_id":"acme","days":30,"users":[],"total":0,"single_user_dependence":false})"));
  EXPECT_THAT(calm, HasSubstr("no user logged in in the window"));
  EXPECT_THAT(calm, Not(HasSubstr("WARNING")));
  EXPECT_THAT(calm, Not(HasSubstr("champion")));
}

TEST(CollectorCairnctlFormatTest, PlainHttpOnlyToLoopback) {
  for (std::string_view url :
       {"http://127.0.0.1:8080", "http://127.1.2.3", "http://localhost:80/x", "http://localhost",
        "http://[::1]:8080/", "http://127.0.0.1/cairn"}) {
    EXPECT_TRUE(IsLoopbackHttpUrl(url)) << url;
  }
  for (std::string_view url :
       {"http://127.0.0.1.example.com:8080", "http://127.evil.example", "http://localhost.example",
        "http://128.0.0.1", "http://127.0.0.256", "http://127.0.0", "http://[::2]:80",
        "https://127.0.0.1", "http://example.com/127.0.0.1", "http://localhost@evil.example",
        "http://127.0.0.1@evil.example"}) {
    EXPECT_FALSE(IsLoopbackHttpUrl(url)) << url;
  }
}

TEST(CollectorCairnctlFormatTest, HealthModelTable) {
  EXPECT_EQ(FormatHealthModel(Read<admin::v1::HealthModel>(
                R"({"weights":{"frequency":30,"trend":20,"breadth":30,"time_to_value":20,
      "dependence":10,"nps":0},"onboarding_weights":{"frequency":30,"trend":0,"breadth":30,
      "time_to_value":40,"dependence":0,"nps":0},"onboarding_days":30,"good_at":75,"watch_at":45,
      "poor_factor_caps":true,"nps_min_responses":3,"updated_at":"2026-12-06T10:00:00Z",
      "updated_by":"olga\u001b[2J","accounts_rescored":"12"})")),
            "health model (set by olga?[2J at 2026-12-06T10:00:00Z)\n"
            "factor         weight  onboarding\n"
            "frequency          30          30\n"
            "trend              20           0\n"
            "breadth            30          30\n"
            "time_to_value      20          40\n"
            "dependence         10           0\n"
            "nps                 0           0\n"
            "onboarding profile: accounts whose first login is under 30 days old\n"
            "bands: good from 75, watch from 45, poor below; a poor factor makes the band poor\n"
            "NPS counts from 3 answers\n"
            "rescored 12 accounts\n");
  EXPECT_THAT(FormatHealthModel(Read<admin::v1::HealthModel>(R"({"onboarding_days":0})")),
              HasSubstr("(built-in default)\nfactor"));
  EXPECT_THAT(FormatHealthModel(Read<admin::v1::HealthModel>(R"({"onboarding_days":0})")),
              HasSubstr("onboarding profile: off\n"));
}

}  // namespace
}  // namespace cairn::cli
