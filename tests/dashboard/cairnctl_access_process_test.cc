// Per-person admin tokens, the audit log, tasks and notes through cairnctl
// (the binary) against the real cairn-collector on loopback: a collector
// whose --admin-token-file names three people with three roles (one stored
// only as its SHA-256), every new command, a `read` token refused a write
// with 403, and tokens made and revoked in the key file taking effect on
// SIGHUP.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/crypto.h"
#include "cairnctl_runner.h"
#include "collector_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http_client.h"
#include "json_fields.h"
#include "temp_dir.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kOlga[] = "olga-admin-token-0001";
constexpr char kMaria[] = "maria-csm-token-00001";
constexpr char kFinance[] = "finance-read-token-01";

class CollectorCairnctlAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = dir_.File("admin-tokens");
    std::ofstream(key_file_) << "# people of the CS team\n"
                             << "sha256:" << ToHex(Sha256(kOlga)) << " olga admin\n"
                             << kMaria << " maria csm\n"
                             << kFinance << " finance read\n";
    for (const auto& [name, token] :
         {std::pair{"olga", kOlga}, std::pair{"maria", kMaria}, std::pair{"finance", kFinance}}) {
      std::ofstream(TokenFile(name)) << token << "\n";
    }
    CollectorProcessOptions options;
    options.db_path = dir_.File("events.db");
    options.extra_flags = {"--admin-token-file=" + key_file_};
    auto collector = CollectorProcess::Start(options);
    ASSERT_TRUE(collector.ok()) << collector.status();
    collector_ = *std::move(collector);
  }
  void TearDown() override {
    if (collector_ != nullptr) {
      EXPECT_TRUE(collector_->Stop().ok());
    }
  }

  std::string TokenFile(const std::string& who) const { return dir_.File("token-" + who); }

  // cairnctl --url <collector> --admin-token-file <who's file> ARGS...
  CtlRun As(const std::string& who, std::vector<std::string> args) {
    std::vector<std::string> argv = {CAIRNCTL_BINARY, "--url=" + collector_->base_url(),
                                     "--admin-token-file=" + TokenFile(who)};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCairnctl(argv, dir_);
  }

  // How many key reloads succeeded, from /metrics.
  int ReloadsOk() {
    absl::StatusOr<HttpResult> metrics =
        HttpCall("GET", collector_->base_url() + "/metrics", "", {});
    if (!metrics.ok()) return -1;
    const std::string series = "cairn_key_reloads_total{result=\"ok\"} ";
    size_t at = metrics->body.find(series);
    if (at == std::string::npos) return 0;
    int value = -1;
    std::string rest = metrics->body.substr(at + series.size());
    (void)absl::SimpleAtoi(rest.substr(0, rest.find('\n')), &value);
    return value;
  }
  // SIGHUP, then waits until the collector counted the reload.
  void ReloadKeys() {
    const int before = ReloadsOk();
    ASSERT_EQ(::kill(collector_->pid(), SIGHUP), 0);
    for (int i = 0; i < 2000 && ReloadsOk() == before; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling only
    }
    ASSERT_EQ(ReloadsOk(), before + 1);
  }

  TempDir dir_;
  std::string key_file_;
  std::unique_ptr<CollectorProcess> collector_;
};

TEST_F(CollectorCairnctlAccessTest, TasksNotesAuditAndTokenListEndToEnd) {
  CtlRun add = As("maria", {"--json", "tasks", "add", "acme", "--title", "Call the champion",
                            "--owner", "maria", "--due", "2030-01-15"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  const std::vector<std::string> ids = StringValues(add.out, "task_id");
  ASSERT_EQ(ids.size(), 1u) << add.out;
  const std::string task_id = ids.front();
  EXPECT_EQ(StringValues(add.out, "created_by"), std::vector<std::string>{"maria"});
  CtlRun second = As("maria", {"tasks", "add", "globex", "--title", "Renewal call"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, HasSubstr("Renewal call"));

  CtlRun list = As("finance", {"tasks", "list", "acme"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("Call the champion"));
  EXPECT_THAT(list.out, HasSubstr("2030-01-15"));
  EXPECT_THAT(list.out, Not(HasSubstr("Renewal call")));
  CtlRun mine = As("maria", {"tasks", "list", "--owner", "maria"});
  ASSERT_EQ(mine.exit_code, 0) << mine.err;
  EXPECT_THAT(mine.out, HasSubstr("Call the champion"));
  EXPECT_THAT(mine.out, Not(HasSubstr("Renewal call")));

  CtlRun done = As("maria", {"tasks", "done", "acme", task_id});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_THAT(done.out, HasSubstr("done"));
  CtlRun open = As("maria", {"tasks", "list", "--owner", "maria"});
  ASSERT_EQ(open.exit_code, 0);
  EXPECT_THAT(open.out, HasSubstr("no tasks"));
  CtlRun closed = As("maria", {"tasks", "list", "--owner", "maria", "--status", "done"});
  ASSERT_EQ(closed.exit_code, 0);
  EXPECT_THAT(closed.out, HasSubstr("Call the champion"));
  // A task from an alert must name one of the account's alerts: 400 names
  // the field.
  CtlRun bad_alert =
      As("maria", {"tasks", "add", "acme", "--title", "From alert", "--alert", "no-such-alert"});
  EXPECT_EQ(bad_alert.exit_code, 1);
  EXPECT_THAT(bad_alert.err, HasSubstr("HTTP 400"));
  EXPECT_THAT(bad_alert.err, HasSubstr("alert_id"));
  EXPECT_EQ(As("maria", {"tasks", "add", "acme"}).exit_code, 2);  // no --title

  CtlRun note = As("maria", {"notes", "add", "acme", "--text", "Budget approved for 2030."});
  ASSERT_EQ(note.exit_code, 0) << note.err;
  CtlRun notes = As("finance", {"notes", "list", "acme"});
  ASSERT_EQ(notes.exit_code, 0) << notes.err;
  EXPECT_THAT(notes.out, HasSubstr("Budget approved for 2030."));
  EXPECT_THAT(notes.out, HasSubstr("maria"));

  // The audit log: who did what, for the admin only.
  CtlRun audit = As("olga", {"audit", "--actor", "maria"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_THAT(audit.out, HasSubstr("POST    /v1/accounts/{id}/tasks"));
  EXPECT_THAT(audit.out, HasSubstr("PATCH   /v1/accounts/{id}/tasks/{task_id}"));
  EXPECT_THAT(audit.out, HasSubstr("/v1/accounts/{id}/notes"));
  EXPECT_THAT(audit.out, Not(HasSubstr("finance")));
  CtlRun audit_json = As("olga", {"--json", "audit", "--limit", "1"});
  ASSERT_EQ(audit_json.exit_code, 0);
  const std::vector<std::string> next = StringValues(audit_json.out, "next_page_token");
  ASSERT_EQ(next.size(), 1u) << audit_json.out;
  EXPECT_FALSE(next.front().empty()) << audit_json.out;
  CtlRun csm_audit = As("maria", {"audit"});
  EXPECT_EQ(csm_audit.exit_code, 1);
  EXPECT_THAT(csm_audit.err, HasSubstr("HTTP 403"));
  EXPECT_THAT(csm_audit.err, HasSubstr("role csm may not GET /v1/admin/audit (needs admin)"));

  // Listed without revealing a token.
  CtlRun tokens = As("olga", {"token", "list"});
  ASSERT_EQ(tokens.exit_code, 0) << tokens.err;
  EXPECT_THAT(tokens.out, HasSubstr("maria"));
  EXPECT_THAT(tokens.out, HasSubstr("finance"));
  EXPECT_THAT(tokens.out, HasSubstr(ToHex(Sha256(kMaria)).substr(0, 12)));
  for (const char* secret : {kOlga, kMaria, kFinance}) {
    EXPECT_THAT(tokens.out, Not(HasSubstr(secret)));
  }
}

// GET /v1/whoami on the wire and through `cairnctl whoami`: each person's
// own name and role (the admin's token stored only as its hash), never a
// token or fingerprint; 401 without a token or with a wrong one.
TEST_F(CollectorCairnctlAccessTest, WhoAmINamesEachTokensPersonAndRole) {
  const std::string url = collector_->base_url() + "/v1/whoami";
  for (const auto& [who, token, role] :
       {std::tuple{"olga", kOlga, "admin"}, std::tuple{"maria", kMaria, "csm"},
        std::tuple{"finance", kFinance, "read"}}) {
    SCOPED_TRACE(who);
    absl::StatusOr<HttpResult> answer =
        HttpCall("GET", url, "", {absl::StrCat("Authorization: Bearer ", token)});
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(answer->body, absl::StrCat(R"({"name":")", who, R"(","role":")", role, "\"}\n"));
    EXPECT_THAT(answer->headers["content-type"], HasSubstr("application/json"));
    CtlRun ctl = As(who, {"whoami"});
    ASSERT_EQ(ctl.exit_code, 0) << ctl.err;
    EXPECT_EQ(ctl.out, absl::StrCat(who, " (role ", role, ")\n"));
    CtlRun json = As(who, {"--json", "whoami"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    EXPECT_EQ(StringValues(json.out, "role"), std::vector<std::string>{role});
    for (const std::string& out : {answer->body, ctl.out, json.out}) {
      EXPECT_THAT(out, Not(HasSubstr(token)));
      EXPECT_THAT(out, Not(HasSubstr(ToHex(Sha256(token)).substr(0, 12))));
    }
  }
  for (const std::vector<std::string>& headers :
       {std::vector<std::string>{},
        std::vector<std::string>{"Authorization: Bearer wrong-token-01"},
        std::vector<std::string>{absl::StrCat("Authorization: ", kMaria)}}) {
    absl::StatusOr<HttpResult> refused = HttpCall("GET", url, "", headers);
    ASSERT_TRUE(refused.ok()) << refused.status();
    EXPECT_EQ(refused->status, 401) << refused->body;
    EXPECT_EQ(refused->headers["www-authenticate"], "Bearer");
    EXPECT_THAT(refused->body, Not(HasSubstr("maria")));
  }
  std::ofstream(TokenFile("nobody")) << "wrong-token-01\n";
  CtlRun nobody = As("nobody", {"whoami"});
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_THAT(nobody.err, HasSubstr("HTTP 401"));
  EXPECT_EQ(As("maria", {"whoami", "extra"}).exit_code, 2);
}

TEST_F(CollectorCairnctlAccessTest, ReadTokenGets403AndRevokedTokenGets401AfterReload) {
  CtlRun write = As("finance", {"tasks", "add", "acme", "--title", "Not mine to add"});
  EXPECT_EQ(write.exit_code, 1);
  EXPECT_THAT(write.err, HasSubstr("HTTP 403"));
  EXPECT_THAT(write.err, HasSubstr("role read may not POST /v1/accounts/{id}/tasks (needs csm)"));
  EXPECT_EQ(As("finance", {"notes", "add", "acme", "--text", "x"}).exit_code, 1);
  EXPECT_EQ(As("finance", {"tasks", "list", "acme"}).exit_code, 0);

  // A new token for an intern, made and written to the key file by cairnctl.
  CtlRun made = RunCairnctl({CAIRNCTL_BINARY, "token", "new", "--name", "intern", "--role", "read",
                             "--key-file", key_file_},
                            dir_);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string prefix = "token: ";
  ASSERT_THAT(made.out, HasSubstr(prefix + "cairn_"));
  std::string token = made.out.substr(made.out.find(prefix) + prefix.size());
  token = token.substr(0, token.find('\n'));
  std::ifstream key_file(key_file_);
  std::string stored((std::istreambuf_iterator<char>(key_file)), std::istreambuf_iterator<char>());
  EXPECT_THAT(stored, HasSubstr("sha256:" + ToHex(Sha256(token)) + " intern read"));
  EXPECT_THAT(stored, Not(HasSubstr(token)));  // only its hash
  std::ofstream(TokenFile("intern")) << token << "\n";
  EXPECT_EQ(As("intern", {"tasks", "list", "acme"}).exit_code, 1);  // not loaded yet
  ReloadKeys();
  EXPECT_EQ(As("intern", {"tasks", "list", "acme"}).exit_code, 0);

  // Revoked: removed from the file, refused from the next reload on.
  CtlRun revoked =
      RunCairnctl({CAIRNCTL_BINARY, "token", "revoke", "finance", "--key-file", key_file_}, dir_);
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_THAT(revoked.out, HasSubstr("removed 1 line"));
  EXPECT_EQ(As("finance", {"tasks", "list", "acme"}).exit_code, 0);  // until the reload
  ReloadKeys();
  CtlRun refused = As("finance", {"tasks", "list", "acme"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("HTTP 401"));
  EXPECT_EQ(As("maria", {"tasks", "list", "acme"}).exit_code, 0);
  EXPECT_EQ(
      RunCairnctl({CAIRNCTL_BINARY, "token", "revoke", "finance", "--key-file", key_file_}, dir_)
          .exit_code,
      1);  // no such name left
  EXPECT_EQ(RunCairnctl({CAIRNCTL_BINARY, "token", "new", "--name", "x", "--role", "owner"}, dir_)
                .exit_code,
            2);
}

}  // namespace
}  // namespace cairn::testing

namespace cairn::testing {
namespace {

// The health model: anyone reads it, only an admin changes it, the server's
// validation reaches the terminal, reset needs --yes, and each change is in
// the audit log under the admin's name.
TEST_F(CollectorCairnctlAccessTest, HealthModelShowSetResetByRole) {
  CtlRun show = As("finance", {"health-model", "show"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("health model (built-in default)"));
  EXPECT_THAT(show.out, HasSubstr("frequency          30          30"));
  EXPECT_THAT(show.out, HasSubstr("time_to_value      20          40"));
  EXPECT_THAT(show.out, HasSubstr("onboarding profile: accounts whose first login is under 30"));
  EXPECT_THAT(show.out, HasSubstr("bands: good from 70, watch from 40"));

  CtlRun csm = As("maria", {"health-model", "set", "--good-at", "80"});
  EXPECT_EQ(csm.exit_code, 1);
  EXPECT_THAT(csm.err, HasSubstr("role csm may not PUT /v1/health-model (needs admin)"));

  CtlRun set =
      As("olga", {"health-model", "set", "--weights", "dependence=10, nps=5", "--onboarding-days",
                  "14", "--good-at", "80", "--watch-at", "50", "--poor-factor-caps", "no"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_THAT(set.out, HasSubstr("health model (set by olga at "));
  EXPECT_THAT(set.out, HasSubstr("dependence         10           0"));
  EXPECT_THAT(set.out, HasSubstr("nps                 5           0"));
  EXPECT_THAT(set.out, HasSubstr("under 14 days old"));
  EXPECT_THAT(set.out, HasSubstr("bands: good from 80, watch from 50, poor below\n"));
  EXPECT_THAT(set.out, HasSubstr("rescored 0 accounts"));
  CtlRun shown = As("maria", {"--json", "health-model", "show"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(StringValues(shown.out, "updated_by"), std::vector<std::string>{"olga"});

  CtlRun invalid = As("olga", {"health-model", "set", "--watch-at", "90"});
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_THAT(invalid.err, HasSubstr("watch_at must be 0 or more and below good_at"));
  EXPECT_EQ(As("olga", {"health-model", "set", "--weights", "charm=3"}).exit_code, 2);
  EXPECT_EQ(As("olga", {"health-model", "set"}).exit_code, 2);
  EXPECT_EQ(As("olga", {"health-model", "set", "--poor-factor-caps", "maybe"}).exit_code, 2);
  CtlRun no_yes = As("olga", {"health-model", "reset"});
  EXPECT_EQ(no_yes.exit_code, 2);
  EXPECT_THAT(no_yes.err, HasSubstr("add --yes"));
  CtlRun reset = As("olga", {"health-model", "reset", "--yes"});
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_THAT(reset.out, HasSubstr("(built-in default)"));

  CtlRun audit = As("olga", {"audit", "--actor", "olga"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_THAT(audit.out, HasSubstr("PUT     /v1/health-model"));
  EXPECT_THAT(audit.out, HasSubstr("DELETE  /v1/health-model"));
}

}  // namespace
}  // namespace cairn::testing
