// cairnctl, the binary, against the real cairn-collector on loopback: exit
// codes, the server's messages, user export and erasure, and (on seeded
// accounts) the at-risk table, renewals, goals, account settings and
// customer links.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cairnctl_runner.h"
#include "child_process.h"
#include "collector_process.h"
#include "engagement_seed.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "json_fields.h"
#include "temp_dir.h"
#include "test_batches.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class CollectorCairnctlProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_file_ = dir_.File("admin-token");
    std::ofstream(token_file_) << "# the admin token\n" << kSeedAdminToken << "\n";
    wrong_token_file_ = dir_.File("wrong-token");
    std::ofstream(wrong_token_file_) << "not-the-admin-token\n";
    auto collector = StartSeedCollector(dir_);
    ASSERT_TRUE(collector.ok()) << collector.status();
    collector_ = *std::move(collector);
  }
  void TearDown() override {
    if (collector_ != nullptr) {
      EXPECT_TRUE(collector_->Stop().ok());
    }
  }

  // cairnctl --url <collector> --admin-token-file <file> ARGS...
  CtlRun Cairnctl(std::vector<std::string> args, const std::string& token_file = "",
                  bool with_url = true) {
    std::vector<std::string> argv = {CAIRNCTL_BINARY};
    if (with_url) argv.push_back("--url=" + collector_->base_url());
    argv.push_back("--admin-token-file=" + (token_file.empty() ? token_file_ : token_file));
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCairnctl(argv, dir_);
  }

  TempDir dir_;
  std::string token_file_;
  std::string wrong_token_file_;
  std::unique_ptr<CollectorProcess> collector_;
};

TEST_F(CollectorCairnctlProcessTest, UsageErrorsExitWith2) {
  CtlRun help = Cairnctl({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("at-risk [--all] [--limit N]"));
  CtlRun command_help = Cairnctl({"goals", "--help"});
  EXPECT_EQ(command_help.exit_code, 0);
  EXPECT_THAT(command_help.out, HasSubstr("cairnctl goals add ID --name TEXT"));

  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"at-risk", "--limit", "0"},
           {"at-risk", "--bogus"},
           {"user", "erase", "u1"},  // no --yes
           {"account", "set", "acme"},
           {"account", "set", "acme", "--renewal-date", "2027-13"},
           {"account", "set", "acme", "--seats", "-1"},
           {"goals", "add", "acme", "--name", "x", "--milestone", "m"},
           {"renewals", "--within-days", "400"},
           {"customer-link", "acme", "--ttl-hours", "0"},
           {"account", "users"},
           {"account", "users", "acme", "--days", "0"},
           {"account", "users", "acme", "--days", "457"},
           {"account", "users", "acme", "--limit", "5"},
       }) {
    CtlRun run = Cairnctl(args);
    EXPECT_EQ(run.exit_code, 2) << absl::StrJoin(args, " ") << "\n" << run.out << run.err;
    EXPECT_THAT(run.err, StartsWith("cairnctl: ")) << absl::StrJoin(args, " ");
  }
  // The token would cross the network in clear.
  CtlRun plain = Cairnctl({"--url=http://cairn.example:8080", "alerts"}, "", false);
  EXPECT_EQ(plain.exit_code, 2);
  EXPECT_THAT(plain.err, HasSubstr("https://"));
  CtlRun no_file = Cairnctl({"alerts"}, dir_.File("missing"));
  EXPECT_EQ(no_file.exit_code, 2);
  EXPECT_THAT(no_file.err, HasSubstr("cannot read the admin token file"));
}

TEST_F(CollectorCairnctlProcessTest, ServerErrorsExitWith1WithTheServersMessage) {
  CtlRun refused = Cairnctl({"user", "export", "u1"}, wrong_token_file_);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("HTTP 401"));
  EXPECT_THAT(refused.err, HasSubstr("admin token was refused"));
  EXPECT_TRUE(refused.out.empty());

  // Nothing listens there any more.
  std::string url = collector_->base_url();
  ASSERT_TRUE(collector_->Stop().ok());
  collector_.reset();
  std::vector<std::string> argv = {"--url=" + url, "alerts"};
  CtlRun down = Cairnctl(argv, "", false);
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_THAT(down.err, HasSubstr("cannot reach"));
}

// No error line names the user or the account the command was about:
// refused (401), unknown (404) or unreachable, the ids are nowhere in
// cairnctl's output, and the request is still recognisable by its route.
TEST_F(CollectorCairnctlProcessTest, ErrorLinesNeverNameTheUserOrTheAccount) {
  const std::string user = "zq-user-4711";
  const std::string account = "zq-account-0815";
  auto expect_no_ids = [&](const CtlRun& run, const std::string& what) {
    EXPECT_EQ(run.exit_code, 1) << what;
    EXPECT_FALSE(run.err.empty()) << what;
    for (const std::string& id : {user, account}) {
      EXPECT_THAT(run.err, Not(HasSubstr(id))) << what << ": " << run.err;
      EXPECT_THAT(run.out, Not(HasSubstr(id))) << what << ": " << run.out;
    }
  };
  CtlRun refused_export = Cairnctl({"user", "export", user}, wrong_token_file_);
  expect_no_ids(refused_export, "401 export");
  EXPECT_THAT(refused_export.err, HasSubstr("HTTP 401 from GET /v1/users/{id}/export"));
  expect_no_ids(Cairnctl({"user", "erase", user, "--yes"}, wrong_token_file_), "401 erase");
  CtlRun refused_account = Cairnctl({"account", "show", account}, wrong_token_file_);
  expect_no_ids(refused_account, "401 account");
  EXPECT_THAT(refused_account.err, HasSubstr("HTTP 401 from GET /v1/accounts/{id}"));
  expect_no_ids(Cairnctl({"goals", "list", account}, wrong_token_file_), "401 goals");

  CtlRun unknown = Cairnctl({"account", "show", account});
  expect_no_ids(unknown, "404 account");
  EXPECT_THAT(unknown.err, HasSubstr("HTTP 404"));

  std::string url = collector_->base_url();
  ASSERT_TRUE(collector_->Stop().ok());
  collector_.reset();
  CtlRun down = Cairnctl({"--url=" + url, "user", "export", user}, "", false);
  expect_no_ids(down, "network error");
  EXPECT_THAT(down.err, HasSubstr("cannot reach"));
}

TEST_F(CollectorCairnctlProcessTest, ExportsAndErasesAUser) {
  // Two events and the two consent grants before them.
  ASSERT_TRUE(
      PostEvents(collector_->base_url(), {MakeLogin("acme", "ctl-user"),
                                          MakeMilestone("acme", "ctl-user", "first_invoice")})
          .ok());
  CtlRun exported = Cairnctl({"user", "export", "ctl-user"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_THAT(exported.out, HasSubstr("\"ctl-user\""));
  EXPECT_THAT(exported.out, HasSubstr("first_invoice"));

  CtlRun erased = Cairnctl({"user", "erase", "ctl-user", "--yes"});
  ASSERT_EQ(erased.exit_code, 0) << erased.err;
  EXPECT_THAT(erased.out, StartsWith("user ctl-user erased: 4 events deleted"));
  CtlRun again = Cairnctl({"user", "erase", "ctl-user", "--yes"});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_THAT(again.out, HasSubstr("was already erased"));
  CtlRun json = Cairnctl({"--json", "user", "erase", "ctl-user", "--yes"});
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_THAT(json.out, StartsWith("{\"user_id\":\"ctl-user\""));
}

TEST_F(CollectorCairnctlProcessTest, BookCommandsFilterGroupForecastAndExport) {
  absl::Status seeded = SeedAccounts(collector_->base_url());
  ASSERT_TRUE(seeded.ok()) << seeded;
  CtlRun set = Cairnctl({"account", "set", "acme", "--owner", "Ana", "--plan", "enterprise",
                         "--arr", "24000", "--segments", "emea,strategic"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  ASSERT_EQ(Cairnctl({"account", "set", "globex", "--owner", "Bo", "--mrr", "500"}).exit_code, 0);
  EXPECT_EQ(Cairnctl({"account", "set", "acme", "--arr", "1", "--mrr", "1"}).exit_code, 2);
  EXPECT_EQ(Cairnctl({"account", "set", "acme", "--arr", "lots"}).exit_code, 2);
  EXPECT_EQ(Cairnctl({"account", "set", "acme", "--segments", "not ok"}).exit_code, 1);

  CtlRun accounts = Cairnctl({"accounts", "--owner", "Ana"});
  ASSERT_EQ(accounts.exit_code, 0) << accounts.err;
  EXPECT_THAT(accounts.out, HasSubstr("\nacme "));
  EXPECT_THAT(accounts.out, HasSubstr("24000.00"));
  EXPECT_THAT(accounts.out, HasSubstr("emea,strategic"));
  EXPECT_THAT(accounts.out, HasSubstr("1 of 1 accounts"));
  EXPECT_THAT(accounts.out, Not(HasSubstr("globex")));
  std::cerr << "$ cairnctl accounts --owner Ana\n" << accounts.out;
  CtlRun sorted = Cairnctl({"accounts", "--sort", "-arr", "--limit", "2"});
  ASSERT_EQ(sorted.exit_code, 0) << sorted.err;
  EXPECT_LT(sorted.out.find("\nacme "), sorted.out.find("\nglobex "));  // 24000 > 6000
  EXPECT_THAT(sorted.out, HasSubstr("more: raise --limit"));
  EXPECT_EQ(Cairnctl({"accounts", "--sort", "colour"}).exit_code, 1);
  EXPECT_EQ(Cairnctl({"accounts", "--limit", "0"}).exit_code, 2);
  CtlRun csv = Cairnctl({"accounts", "--csv", "--segment", "emea"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_THAT(csv.out, StartsWith("account_id,band,score"));
  EXPECT_THAT(csv.out, HasSubstr("\r\nacme,"));

  CtlRun groups = Cairnctl({"groups", "--by", "owner"});
  ASSERT_EQ(groups.exit_code, 0) << groups.err;
  EXPECT_THAT(groups.out, HasSubstr("OWNER"));
  EXPECT_THAT(groups.out, HasSubstr("\nAna "));
  EXPECT_THAT(groups.out, HasSubstr("(none)"));
  std::cerr << "$ cairnctl groups --by owner\n" << groups.out;
  CtlRun forecast = Cairnctl({"forecast", "--months", "3"});
  ASSERT_EQ(forecast.exit_code, 0) << forecast.err;
  EXPECT_THAT(forecast.out, HasSubstr("ARR at risk (poor and watch): "));
  EXPECT_EQ(Cairnctl({"forecast", "--months", "30"}).exit_code, 2);

  ASSERT_EQ(Cairnctl({"evaluate"}).exit_code, 0);
  CtlRun history = Cairnctl({"history", "acme", "--days", "7"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_THAT(history.out, StartsWith("acme health "));
  EXPECT_THAT(history.out, HasSubstr("DATE"));
  EXPECT_EQ(Cairnctl({"history"}).exit_code, 2);

  const std::string today = absl::FormatTime("%Y-%m-%d", absl::Now(), absl::UTCTimeZone());
  CtlRun outcome = Cairnctl({"outcome", "globex", "--renewal-date", today, "--outcome", "churned"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_THAT(outcome.out, HasSubstr("churned, ARR 6000.00 -> 0.00"));
  ASSERT_EQ(Cairnctl({"outcome", "acme", "--renewal-date", today, "--outcome", "expanded",
                      "--arr-after", "30000"})
                .exit_code,
            0);
  EXPECT_EQ(Cairnctl({"outcome", "acme", "--outcome", "renewed"}).exit_code, 2);
  EXPECT_EQ(Cairnctl({"outcome", "acme", "--renewal-date", today, "--outcome", "gone"}).exit_code,
            1);
  CtlRun retention = Cairnctl({"retention", "--months", "1"});
  ASSERT_EQ(retention.exit_code, 0) << retention.err;
  EXPECT_THAT(retention.out, HasSubstr("\nall "));
  EXPECT_THAT(retention.out, HasSubstr("50.0%"));  // churn: 1 of 2
  std::cerr << "$ cairnctl retention --months 1\n" << retention.out;
  CtlRun backtest = Cairnctl({"backtest", "--days-before", "0", "--months", "1"});
  ASSERT_EQ(backtest.exit_code, 0) << backtest.err;
  EXPECT_THAT(backtest.out, HasSubstr("health 0 days before renewal"));
  EXPECT_THAT(backtest.out, HasSubstr("precision (lost among poor/watch): "));
  EXPECT_EQ(Cairnctl({"backtest", "--days-before", "400"}).exit_code, 2);
}

TEST_F(CollectorCairnctlProcessTest, AtRiskTableAndAccountCommandsOnSeededAccounts) {
  absl::Status seeded = SeedAccounts(collector_->base_url());
  ASSERT_TRUE(seeded.ok()) << seeded;

  CtlRun at_risk = Cairnctl({"at-risk"});
  ASSERT_EQ(at_risk.exit_code, 0) << at_risk.err;
  EXPECT_THAT(at_risk.out, StartsWith("2 accounts at risk, riskiest first"));
  EXPECT_THAT(at_risk.out, HasSubstr("\nglobex   poor "));
  EXPECT_LT(at_risk.out.find("\nglobex "), at_risk.out.find("\ninitech "));
  EXPECT_THAT(at_risk.out, Not(HasSubstr("\nacme ")));
  EXPECT_THAT(at_risk.out, HasSubstr("10 seats"));
  EXPECT_THAT(at_risk.out, ::testing::ContainsRegex("globex .*  ! (drop|severe)  "));
  // Shown in the README: the real output of a run.
  std::cerr << "$ cairnctl at-risk\n" << at_risk.out;

  CtlRun all = Cairnctl({"at-risk", "--all"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  std::cerr << "$ cairnctl at-risk --all\n" << all.out;
  size_t globex = all.out.find("\nglobex ");
  size_t acme = all.out.find("\nacme ");
  ASSERT_NE(globex, std::string::npos) << all.out;
  ASSERT_NE(acme, std::string::npos) << all.out;
  EXPECT_LT(globex, acme);

  CtlRun renewals = Cairnctl({"renewals", "--within-days", "90"});
  ASSERT_EQ(renewals.exit_code, 0) << renewals.err;
  EXPECT_LT(renewals.out.find("\nacme "), renewals.out.find("\nglobex "));

  CtlRun set = Cairnctl({"account", "set", "globex", "--seats", "12"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_THAT(set.out, HasSubstr("account globex: seats 12"));
  CtlRun show = Cairnctl({"account", "show", "acme"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("first_invoice"));
  EXPECT_THAT(show.out, HasSubstr("Send 10 invoices"));
  std::cerr << "$ cairnctl account show acme\n"
            << show.out << "$ cairnctl renewals --within-days 90\n"
            << renewals.out;

  CtlRun added = Cairnctl({"goals", "add", "globex", "--name", "Build 3 pipelines", "--milestone",
                           "globex_pipeline_built", "--target", "3", "--due", "2030-01-01"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_THAT(added.out, HasSubstr("Build 3 pipelines"));
  CtlRun listed = Cairnctl({"goals", "list", "globex"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("Build 3 pipelines"));
  CtlRun json = Cairnctl({"--json", "goals", "list", "globex"});
  std::vector<std::string> ids = StringValues(json.out, "goal_id");
  ASSERT_EQ(ids.size(), 1u) << json.out;
  CtlRun deleted = Cairnctl({"goals", "delete", "globex", ids[0]});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  CtlRun gone = Cairnctl({"goals", "delete", "globex", ids[0]});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_THAT(gone.err, HasSubstr("HTTP 404"));

  CtlRun link = Cairnctl({"customer-link", "acme", "--ttl-hours", "2"});
  ASSERT_EQ(link.exit_code, 0) << link.err;
  EXPECT_THAT(link.out, StartsWith(collector_->base_url() + "/customer/#token="));

  CtlRun evaluated = Cairnctl({"evaluate"});
  EXPECT_EQ(evaluated.exit_code, 0) << evaluated.err;
  EXPECT_THAT(evaluated.out, StartsWith("evaluated "));
  CtlRun alerts = Cairnctl({"alerts", "--open"});
  EXPECT_EQ(alerts.exit_code, 0) << alerts.err;
  EXPECT_THAT(alerts.out, Not(HasSubstr("acme")));
  EXPECT_THAT(alerts.out, HasSubstr("globex"));
  std::cerr << "$ cairnctl alerts --open\n" << alerts.out;
}

TEST_F(CollectorCairnctlProcessTest, AccountUsersTableMarksTheChampionAndDependence) {
  const absl::Time now = absl::Now();
  std::vector<cairn::v1::Event> events;
  // hooli: boss logs in 3 times a day on 10 days, intern once; even: two
  // users alike.
  for (int d = 0; d < 10; ++d) {
    for (int i = 0; i < 3; ++i) {
      events.push_back(
          MakeLogin("hooli", "boss", now - absl::Hours(24 * d) - absl::Milliseconds(i)));
    }
  }
  events.push_back(MakeLogin("hooli", "intern", now - absl::Hours(30)));
  events.push_back(MakeMilestone("hooli", "boss", "first_invoice", std::nullopt, now));
  for (const char* user : {"ann", "bob"}) {
    for (int d = 0; d < 3; ++d)
      events.push_back(MakeLogin("even", user, now - absl::Hours(24 * d)));
  }
  ASSERT_TRUE(PostEvents(collector_->base_url(), std::move(events)).ok());

  CtlRun users = Cairnctl({"account", "users", "hooli"});
  ASSERT_EQ(users.exit_code, 0) << users.err;
  EXPECT_THAT(users.out, StartsWith("hooli users, "));
  EXPECT_THAT(users.out, HasSubstr("USER"));
  EXPECT_THAT(users.out, HasSubstr("LAST SEEN"));
  EXPECT_THAT(users.out, ::testing::ContainsRegex("\nboss \\* +10 +30 +97% "));
  EXPECT_LT(users.out.find("\nboss"), users.out.find("\nintern"));
  EXPECT_THAT(users.out, HasSubstr("2 of 2 users, 31 logins"));
  EXPECT_THAT(users.out, HasSubstr("* champion: boss (10 active days, 30 logins in 28 days)"));
  EXPECT_THAT(users.out, HasSubstr("WARNING: single-user dependence"));
  // Shown in the README: the real output of a run.
  std::cerr << "$ cairnctl account users hooli\n" << users.out;

  CtlRun even = Cairnctl({"account", "users", "even", "--days", "7"});
  ASSERT_EQ(even.exit_code, 0) << even.err;
  EXPECT_THAT(even.out, HasSubstr("(7 days)"));
  EXPECT_THAT(even.out, HasSubstr("* champion: ann"));
  EXPECT_THAT(even.out, Not(HasSubstr("WARNING")));

  CtlRun json = Cairnctl({"--json", "account", "users", "hooli"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(RawValue(json.out, "single_user_dependence"), "true");
  EXPECT_EQ(StringValues(json.out, "name"), std::vector<std::string>{"first_invoice"});

  CtlRun unknown = Cairnctl({"account", "users", "nobody"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("HTTP 404"));
  CtlRun help = Cairnctl({"account", "--help"});
  EXPECT_THAT(help.out, HasSubstr("cairnctl account users ID [--days N]"));
}

TEST_F(CollectorCairnctlProcessTest, AlertsAckAndSnooze) {
  // The seeded book: globex's drop opens an alert.
  ASSERT_TRUE(SeedAccounts(collector_->base_url()).ok());
  CtlRun listed = Cairnctl({"--json", "alerts", "--open"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const std::string key = "\"alert_id\":\"";
  const size_t at = listed.out.find(key);
  ASSERT_NE(at, std::string::npos) << listed.out;
  const std::string id =
      listed.out.substr(at + key.size(), listed.out.find('"', at + key.size()) - at - key.size());
  ASSERT_THAT(id, StartsWith("alr_"));

  CtlRun acked = Cairnctl({"alerts", "ack", id});
  ASSERT_EQ(acked.exit_code, 0) << acked.err;
  EXPECT_THAT(acked.out, HasSubstr("globex"));
  EXPECT_THAT(acked.out, HasSubstr("acknowledged"));
  // Acknowledged alerts stay on the open list.
  EXPECT_THAT(Cairnctl({"alerts", "--open"}).out, HasSubstr(id));

  CtlRun snoozed = Cairnctl({"alerts", "snooze", id, "--days", "3"});
  ASSERT_EQ(snoozed.exit_code, 0) << snoozed.err;
  EXPECT_THAT(snoozed.out, HasSubstr("snoozed to "));
  EXPECT_THAT(Cairnctl({"alerts", "--open"}).out, Not(HasSubstr(id)));
  EXPECT_THAT(Cairnctl({"alerts"}).out, HasSubstr(id));  // still in the full list
  std::cerr << "$ cairnctl alerts snooze " << id << " --days 3\n" << snoozed.out;

  // Usage errors (2) and the server's refusals (1).
  EXPECT_EQ(Cairnctl({"alerts", "snooze", id}).exit_code, 2);
  EXPECT_EQ(Cairnctl({"alerts", "snooze", id, "--days", "0"}).exit_code, 2);
  EXPECT_EQ(Cairnctl({"alerts", "snooze", id, "--days", "91"}).exit_code, 2);
  EXPECT_EQ(Cairnctl({"alerts", "snooze", id, "--days", "2", "--until", "2030-01-01T00:00:00Z"})
                .exit_code,
            2);
  CtlRun far = Cairnctl({"alerts", "snooze", id, "--until", "2999-01-01T00:00:00Z"});
  EXPECT_EQ(far.exit_code, 1);
  EXPECT_THAT(far.err, HasSubstr("HTTP 400"));
  CtlRun unknown = Cairnctl({"alerts", "ack", "alr_unknown"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("HTTP 404"));
}

}  // namespace
}  // namespace cairn::testing
