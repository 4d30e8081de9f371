// Per-person admin tokens and their roles at unit level: the labelled key
// file, the route-by-route role table, the 401/403 of AdminApi's head
// check, and the audit rows its requests leave in a real SQLite store,
// which hold token names and route patterns, never a user's id.
#include <algorithm>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "auth/write_key_set.h"
#include "cairn/common/clock.h"
#include "cairn/common/crypto.h"
#include "collector_process.h"
#include "gdpr/admin_api.h"
#include "gdpr/admin_roles.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/audit_store.h"
#include "store/store_factory.h"
#include "success/workflow_api.h"
#include "temp_dir.h"

namespace cairn::collector {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAdminToken[] = "admin-token-of-olga-000";
constexpr char kCsmToken[] = "csm-token-of-maria-0000";
constexpr char kReadToken[] = "read-token-of-finance-0";
// A user id that must never reach the audit log.
constexpr char kUserId[] = "alice.private@example.com";

std::string Bearer(std::string_view token) { return "Bearer " + std::string(token); }

TEST(CollectorAdminAccessTest, KeyFileLinesCarryNameRoleAndMayHoldOnlyTheHash) {
  cairn::testing::TempDir dir;
  const std::string path = dir.File("admin-tokens");
  std::ofstream(path) << "# people\n"
                      << "legacy-token-123\n"
                      << kCsmToken << " maria csm\n"
                      << "sha256:" << ToHex(Sha256(kReadToken)) << " finance read\n"
                      << kAdminToken << "\tolga\n";
  absl::StatusOr<WriteKeySet> keys = WriteKeySet::FromFile(path);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->size(), 4u);

  std::optional<KeyLabel> maria = keys->IdentifyAuthorization(Bearer(kCsmToken));
  ASSERT_TRUE(maria.has_value());
  EXPECT_EQ(maria->name, "maria");
  EXPECT_EQ(maria->role, AdminRole::kCsm);
  // Stored as its hash only, still recognised.
  std::optional<KeyLabel> finance = keys->IdentifyAuthorization(Bearer(kReadToken));
  ASSERT_TRUE(finance.has_value());
  EXPECT_EQ(finance->role, AdminRole::kRead);
  // No role: admin; no name: "key-" and the hash's first 8 hex digits.
  EXPECT_EQ(keys->IdentifyAuthorization(Bearer(kAdminToken))->role, AdminRole::kAdmin);
  std::optional<KeyLabel> legacy = keys->IdentifyAuthorization(Bearer("legacy-token-123"));
  ASSERT_TRUE(legacy.has_value());
  EXPECT_EQ(legacy->role, AdminRole::kAdmin);
  EXPECT_EQ(legacy->name, "key-" + ToHex(Sha256("legacy-token-123")).substr(0, 8));
  EXPECT_FALSE(keys->IdentifyAuthorization(Bearer("sha256:" + ToHex(Sha256(kReadToken)))));
  EXPECT_FALSE(keys->IdentifyAuthorization(Bearer("wrong-token-0000")));

  // Listed by name, role and a fingerprint, never the token.
  std::vector<WriteKeySet::ListedKey> listed = keys->List();
  ASSERT_EQ(listed.size(), 4u);
  EXPECT_EQ(listed[1].label.name, "maria");
  EXPECT_EQ(listed[1].fingerprint, ToHex(Sha256(kCsmToken)).substr(0, 12));
  EXPECT_EQ(WriteKeySet::KeyFileLine(Sha256(kCsmToken), *maria),
            "sha256:" + ToHex(Sha256(kCsmToken)) + " maria csm");

  // Malformed lines are refused naming the line, never the key.
  for (const std::string& bad :
       {std::string(kCsmToken) + " maria owner", std::string(kCsmToken) + " maria@example.com csm",
        std::string(kCsmToken) + " maria csm extra", std::string("sha256:abc maria csm")}) {
    std::ofstream(path, std::ios::trunc) << "# x\n" << bad << "\n";
    absl::StatusOr<WriteKeySet> refused = WriteKeySet::FromFile(path);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr("line 2"));
    EXPECT_THAT(std::string(refused.status().message()), Not(HasSubstr(kCsmToken)));
  }
}

TEST(CollectorAdminAccessTest, EveryRouteHasItsRole) {
  struct Case {
    const char* method;
    const char* path;
    AdminRole role;
    bool audited;
    const char* pattern;
  };
  for (const Case& c : std::vector<Case>{
           {"GET", "/v1/accounts", AdminRole::kRead, false, "/v1/accounts"},
           {"GET", "/v1/accounts/acme", AdminRole::kRead, false, "/v1/accounts/{id}"},
           {"PUT", "/v1/accounts/acme", AdminRole::kCsm, true, "/v1/accounts/{id}"},
           {"POST", "/v1/accounts/acme/goals", AdminRole::kCsm, true, "/v1/accounts/{id}/goals"},
           {"POST", "/v1/accounts/acme/tasks", AdminRole::kCsm, true, "/v1/accounts/{id}/tasks"},
           {"PATCH", "/v1/accounts/acme/tasks/t1", AdminRole::kCsm, true,
            "/v1/accounts/{id}/tasks/{task_id}"},
           {"GET", "/v1/accounts/acme/users", AdminRole::kRead, true, "/v1/accounts/{id}/users"},
           {"GET", "/v1/tasks", AdminRole::kRead, false, "/v1/tasks"},
           {"POST", "/v1/alerts/evaluate", AdminRole::kCsm, true, "/v1/alerts/evaluate"},
           {"POST", "/v1/alerts/a1/acknowledge", AdminRole::kCsm, true, "/v1/alerts/{id}/**"},
           {"DELETE", "/v1/accounts/acme/workflow", AdminRole::kAdmin, true,
            "/v1/accounts/{id}/workflow"},
           {"GET", "/v1/users/alice/export", AdminRole::kAdmin, true, "/v1/users/{id}/export"},
           {"DELETE", "/v1/users/alice", AdminRole::kAdmin, true, "/v1/users/{id}"},
           {"GET", "/v1/renewal-notifications/recipients", AdminRole::kRead, false,
            "/v1/renewal-notifications/recipients"},
           {"DELETE", "/v1/renewal-notifications/suppressions/alice", AdminRole::kAdmin, true,
            "/v1/renewal-notifications/suppressions/{id}"},
           {"POST", "/v1/admin/purge", AdminRole::kAdmin, true, "/v1/admin/purge"},
           {"GET", "/v1/admin/audit", AdminRole::kAdmin, false, "/v1/admin/audit"},
           {"GET", "/v1/admin/tokens", AdminRole::kAdmin, false, "/v1/admin/tokens"},
           {"GET", "/v1/whoami", AdminRole::kRead, false, "/v1/whoami"},
           // A path no row names is closed to all but admins.
           {"GET", "/v1/something-new", AdminRole::kAdmin, false, "other"},
       }) {
    RouteAccess access = AccessFor(c.method, c.path);
    EXPECT_EQ(access.role, c.role) << c.method << " " << c.path;
    EXPECT_EQ(access.audited, c.audited) << c.method << " " << c.path;
    EXPECT_EQ(access.pattern, c.pattern) << c.method << " " << c.path;
  }
  // The account id is kept (a company), decoded; a user id never is.
  EXPECT_EQ(AccessFor("POST", "/v1/accounts/a%2Fb/tasks").account_id, "a/b");
  EXPECT_FALSE(AccessFor("DELETE", "/v1/users/alice").account_id.has_value());
  EXPECT_EQ(ForbiddenText(AdminRole::kRead, "POST", AccessFor("POST", "/v1/accounts/x/notes")),
            "role read may not POST /v1/accounts/{id}/notes (needs csm)");
}

class CollectorAdminApiRolesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.File("tokens")) << kAdminToken << " olga admin\n"
                                       << kCsmToken << " maria csm\n"
                                       << kReadToken << " finance read\n";
    absl::StatusOr<WriteKeySet> keys = WriteKeySet::FromFile(dir_.File("tokens"));
    ASSERT_TRUE(keys.ok()) << keys.status();
    keys_ = std::make_unique<WriteKeySet>(*std::move(keys));
    absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(dir_.File("events.db"), {});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    api_ = std::make_unique<AdminApi>(keys_.get(), store_.get(), &clock_, AdminApiOptions{});
    workflow_ = std::make_unique<WorkflowApi>(store_.get(), &clock_);
    api_->SetWorkflowApi(workflow_.get());
  }
  void TearDown() override {
    if (api_) api_->Stop();
  }

  HttpRequest Request(const std::string& method, const std::string& target, std::string_view token,
                      const std::string& body = "") {
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.headers["authorization"] = Bearer(token);
    r.body = body;
    r.content_length = body.size();
    return r;
  }
  // Handle, waiting for its answer (the worker answers in order, so every
  // audit row of earlier requests is written by then).
  HttpResponse Call(const std::string& method, const std::string& target, std::string_view token,
                    const std::string& body = "") {
    auto promise = std::make_shared<std::promise<HttpResponse>>();
    std::future<HttpResponse> answer = promise->get_future();
    api_->Handle(Request(method, target, token, body),
                 [promise](HttpResponse r) { promise->set_value(std::move(r)); });
    return answer.get();
  }

  cairn::testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<WriteKeySet> keys_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<WorkflowApi> workflow_;
  std::unique_ptr<AdminApi> api_;
};

TEST_F(CollectorAdminApiRolesTest, RolesGive403AndUnknownTokens401) {
  const std::string task = R"({"title":"Call the champion"})";
  EXPECT_FALSE(api_->CheckHead(Request("GET", "/v1/tasks", kReadToken)).has_value());
  std::optional<HttpResponse> read_write =
      api_->CheckHead(Request("POST", "/v1/accounts/acme/tasks", kReadToken, task));
  ASSERT_TRUE(read_write.has_value());
  EXPECT_EQ(read_write->status, 403);
  EXPECT_EQ(read_write->body, "role read may not POST /v1/accounts/{id}/tasks (needs csm)\n");
  EXPECT_FALSE(
      api_->CheckHead(Request("POST", "/v1/accounts/acme/tasks", kCsmToken, task)).has_value());
  // GDPR export and erasure, purge and the audit log are the admin's.
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/v1/users/u1/export"},
                                                        {"DELETE", "/v1/users/u1"},
                                                        {"POST", "/v1/admin/purge"},
                                                        {"GET", "/v1/admin/audit"},
                                                        {"GET", "/v1/admin/tokens"}}) {
    std::optional<HttpResponse> csm = api_->CheckHead(Request(method, path, kCsmToken));
    ASSERT_TRUE(csm.has_value()) << path;
    EXPECT_EQ(csm->status, 403) << path;
    EXPECT_FALSE(api_->CheckHead(Request(method, path, kAdminToken)).has_value()) << path;
  }
  std::optional<HttpResponse> unknown = api_->CheckHead(Request("GET", "/v1/tasks", "nope-nope-1"));
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->status, 401);
}

TEST_F(CollectorAdminApiRolesTest, WhoAmIAnswersEachRoleItsOwnNameAndRole) {
  for (const auto& [token, answer] : std::vector<std::pair<std::string, std::string>>{
           {kAdminToken, R"({"name":"olga","role":"admin"})"
                         "\n"},
           {kCsmToken, R"({"name":"maria","role":"csm"})"
                       "\n"},
           {kReadToken, R"({"name":"finance","role":"read"})"
                        "\n"}}) {
    HttpResponse r = Call("GET", "/v1/whoami", token);
    EXPECT_EQ(r.status, 200) << answer;
    EXPECT_EQ(r.body, answer);
    EXPECT_THAT(r.body, Not(HasSubstr(ToHex(Sha256(token)).substr(0, 8))));
  }
  // Unknown, missing or malformed tokens: 401 like every admin route.
  for (const std::string& authorization :
       {Bearer("nope-nope-1"), std::string(""), std::string(kAdminToken)}) {
    HttpRequest head;
    head.method = "GET";
    head.target = "/v1/whoami";
    if (!authorization.empty()) head.headers["authorization"] = authorization;
    std::optional<HttpResponse> refused = api_->CheckHead(head);
    ASSERT_TRUE(refused.has_value()) << authorization;
    EXPECT_EQ(refused->status, 401) << authorization;
  }
  // A GET only; not audited.
  std::optional<HttpResponse> post = api_->CheckHead(Request("POST", "/v1/whoami", kAdminToken));
  ASSERT_TRUE(post.has_value());
  EXPECT_EQ(post->status, 405);
  api_->Stop();
  absl::StatusOr<AuditPage> page = AuditStore(store_.get()).List({});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->entries.empty());
}

TEST_F(CollectorAdminApiRolesTest, AuditRowsNameTheActorAndPatternNeverTheUser) {
  EXPECT_EQ(Call("DELETE", absl::StrCat("/v1/users/", kUserId), kAdminToken).status, 200);
  EXPECT_EQ(Call("GET", absl::StrCat("/v1/users/", kUserId, "/export"), kAdminToken).status, 200);
  EXPECT_EQ(Call("POST", "/v1/accounts/acme/tasks", kCsmToken, R"({"title":"Call"})").status, 201);
  EXPECT_EQ(Call("POST", "/v1/accounts/acme/notes", kReadToken, R"({"text":"x"})").status, 403);
  // GETs other than the export are not audited.
  EXPECT_EQ(Call("GET", "/v1/accounts/acme/tasks", kReadToken).status, 200);
  // A refusal's audit row is written by the write worker, and reads run on
  // the reader threads: stopping the API runs what is still queued.
  api_->Stop();

  absl::StatusOr<AuditPage> page = AuditStore(store_.get()).List({});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->entries.size(), 4u);
  std::vector<std::string> rows;
  for (const AuditEntry& e : page->entries) {
    std::string row = absl::StrCat(e.actor, " ", e.role, " ", e.method, " ", e.route, " ",
                                   e.account_id.value_or("-"), " ", e.status);
    EXPECT_THAT(row, Not(HasSubstr("alice"))) << row;
    rows.push_back(row);
  }
  // Same millisecond: the order among them is the random id's, so sorted.
  std::sort(rows.begin(), rows.end());
  EXPECT_THAT(rows, ElementsAre("finance read POST /v1/accounts/{id}/notes acme 403",
                                "maria csm POST /v1/accounts/{id}/tasks acme 201",
                                "olga admin DELETE /v1/users/{id} - 200",
                                "olga admin GET /v1/users/{id}/export - 200"));
  // Nowhere in the table, whatever the column.
  EXPECT_EQ(cairn::testing::SqliteQueryInt(
                dir_.File("events.db"),
                "SELECT count(*) FROM admin_audit WHERE actor || role || method || route || "
                "coalesce(account_id, '') LIKE '%alice%'"),
            0);
}

TEST_F(CollectorAdminApiRolesTest, TasksAndNotesAreValidatedNamingTheField) {
  struct Case {
    std::string method;
    std::string target;
    std::string body;
    int status;
    std::string says;
  };
  const std::string long_title(201, 't');
  const std::string long_text(4097, 'n');
  for (const Case& c : std::vector<Case>{
           {"POST", "/v1/accounts/acme/tasks", R"({"title":""})", 400, "title must be 1-200"},
           {"POST", "/v1/accounts/acme/tasks", R"({"title":")" + long_title + R"("})", 400,
            "title must be 1-200"},
           {"POST", "/v1/accounts/acme/tasks", R"({"title":"x","owner":"a@b.example"})", 400,
            "owner must be a token name"},
           {"POST", "/v1/accounts/acme/tasks", R"({"title":"x","due":"2030-13-01"})", 400,
            "due must be"},
           {"POST", "/v1/accounts/acme/tasks", R"({"title":"x","bogus":1})", 400, "bogus"},
           {"POST", "/v1/accounts/acme/tasks", R"({"title":"x","alert_id":"a1"})", 400,
            "alert_id names no alert of this account"},
           {"PATCH", "/v1/accounts/acme/tasks/nope", R"({"status":"done"})", 404, "no such task"},
           {"PATCH", "/v1/accounts/acme/tasks/nope", R"({"status":"closed"})", 400,
            "status must be"},
           {"PATCH", "/v1/accounts/acme/tasks/nope", "{}", 400, "at least one of"},
           {"GET", "/v1/tasks?status=closed", "", 400, "status must be"},
           {"GET", "/v1/tasks?due_before=soon", "", 400, "due_before"},
           {"GET", "/v1/tasks?limit=0", "", 400, "limit must be 1-1000"},
           {"GET", "/v1/tasks?page_token=x", "", 400, "page_token"},
           {"POST", "/v1/accounts/acme/notes", R"({"text":""})", 400, "text must be 1-4096"},
           {"POST", "/v1/accounts/acme/notes", R"({"text":")" + long_text + R"("})", 400,
            "text must be 1-4096"},
           {"GET", "/v1/admin/audit?since=yesterday", "", 400, "since must be"},
       }) {
    HttpResponse r = Call(c.method, c.target, kAdminToken, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << c.body.substr(0, 40);
    EXPECT_THAT(r.body, HasSubstr(c.says)) << c.method << " " << c.target;
  }
  // A valid task and note; an account's workflow is deleted by an admin
  // only.
  HttpResponse task = Call("POST", "/v1/accounts/acme/tasks", kCsmToken,
                           R"({"title":"Renewal call","owner":"maria","due":"2030-01-15"})");
  ASSERT_EQ(task.status, 201) << task.body;
  EXPECT_THAT(task.body, HasSubstr(R"("due":"2030-01-15")"));
  EXPECT_THAT(task.body, HasSubstr(R"("created_by":"maria")"));
  EXPECT_THAT(task.body, HasSubstr(R"("alert_id":null)"));
  EXPECT_EQ(Call("POST", "/v1/accounts/acme/notes", kCsmToken, R"({"text":"ok"})").status, 201);
  EXPECT_EQ(Call("DELETE", "/v1/accounts/acme/workflow", kCsmToken).status, 403);
  HttpResponse deleted = Call("DELETE", "/v1/accounts/acme/workflow", kAdminToken);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_THAT(deleted.body, HasSubstr(R"("tasks_deleted":1,"notes_deleted":1)"));
}

}  // namespace
}  // namespace cairn::collector
