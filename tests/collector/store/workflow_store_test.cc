// The access and workflow tables of both stores (value-parameterized:
// SQLite and PostgreSQL, a fresh database per test): the admin audit log
// (newest first, filters, paging, the purge) and the tasks and notes per
// account (create, list, update, the "my tasks" query with its paging, the
// account's deletion), and that erasure of a user leaves them alone because
// they hold no user id.
#include "store/workflow_store.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/audit_store.h"
#include "test_batches.h"
#include "test_database.h"

namespace cairn::collector {
namespace {

using ::cairn::collector::testing::StoreKind;
using ::cairn::collector::testing::StoreSuite;
using ::cairn::testing::MakeGrant;
using ::cairn::testing::MakeLogin;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr absl::Time kT0 = testing::kStoreTestNow;
constexpr int64_t kDay0 = 20000;

AuditQuery AuditQ(std::string actor, std::optional<absl::Time> since = std::nullopt,
                  std::string before = "", size_t limit = 100) {
  AuditQuery q;
  q.actor = std::move(actor);
  q.since = since;
  q.before = std::move(before);
  q.limit = limit;
  return q;
}

TaskQuery TaskQ(std::optional<std::string> owner, std::optional<bool> done = std::nullopt,
                std::optional<int64_t> due_before = std::nullopt, std::string after = "",
                size_t limit = 100) {
  TaskQuery q;
  q.owner = std::move(owner);
  q.done = done;
  q.due_before = due_before;
  q.after = std::move(after);
  q.limit = limit;
  return q;
}

class CollectorWorkflowStoreTest : public StoreSuite {
 protected:
  AuditEntry Entry(const std::string& actor, absl::Time at, int64_t status = 200) {
    AuditEntry e;
    e.at = at;
    e.actor = actor;
    e.role = "csm";
    e.method = "POST";
    e.route = "/v1/accounts/{id}/tasks";
    e.account_id = "acme";
    e.status = status;
    return e;
  }
  std::vector<std::string> Actors(const AuditPage& page) {
    std::vector<std::string> out;
    for (const AuditEntry& e : page.entries) out.push_back(e.actor);
    return out;
  }
  AccountTask Task(const std::string& account, const std::string& title, const std::string& owner,
                   std::optional<int64_t> due) {
    AccountTask t;
    t.account_id = account;
    t.title = title;
    t.owner = owner;
    t.due = due;
    t.created_by = "maria";
    return t;
  }
  std::vector<std::string> Titles(const std::vector<AccountTask>& tasks) {
    std::vector<std::string> out;
    for (const AccountTask& t : tasks) out.push_back(t.title);
    return out;
  }
};

INSTANTIATE_TEST_SUITE_P(CollectorStores, CollectorWorkflowStoreTest,
                         ::testing::Values(StoreKind::kSqlite, StoreKind::kPostgres),
                         testing::StoreKindName);

TEST_P(CollectorWorkflowStoreTest, AuditLogListsNewestFirstWithFiltersAndPages) {
  AuditStore audit(store_.get());
  ASSERT_TRUE(audit.Append(Entry("maria", kT0 - absl::Hours(3))).ok());
  ASSERT_TRUE(audit.Append(Entry("sam", kT0 - absl::Hours(2), 403)).ok());
  ASSERT_TRUE(audit.Append(Entry("maria", kT0 - absl::Hours(1))).ok());
  AuditEntry erase = Entry("ops-admin", kT0);
  erase.method = "DELETE";
  erase.route = "/v1/users/{id}";
  erase.account_id.reset();
  ASSERT_TRUE(audit.Append(erase).ok());

  absl::StatusOr<AuditPage> all = audit.List({});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(Actors(*all), ElementsAre("ops-admin", "maria", "sam", "maria"));
  EXPECT_EQ(all->entries[0].route, "/v1/users/{id}");
  EXPECT_FALSE(all->entries[0].account_id.has_value());
  EXPECT_EQ(all->entries[0].at, kT0);
  EXPECT_EQ(all->entries[2].status, 403);
  EXPECT_EQ(all->entries[1].account_id, "acme");
  EXPECT_TRUE(all->next_page_token.empty());

  absl::StatusOr<AuditPage> maria = audit.List(AuditQ("maria"));
  ASSERT_TRUE(maria.ok());
  EXPECT_THAT(Actors(*maria), ElementsAre("maria", "maria"));
  absl::StatusOr<AuditPage> recent = audit.List(AuditQ("", kT0 - absl::Minutes(150)));
  ASSERT_TRUE(recent.ok());
  EXPECT_THAT(Actors(*recent), ElementsAre("ops-admin", "maria", "sam"));

  // Pages of two: the cursor continues strictly after the last row shown.
  absl::StatusOr<AuditPage> first = audit.List(AuditQ("", std::nullopt, "", 2));
  ASSERT_TRUE(first.ok());
  EXPECT_THAT(Actors(*first), ElementsAre("ops-admin", "maria"));
  ASSERT_FALSE(first->next_page_token.empty());
  absl::StatusOr<AuditPage> second =
      audit.List(AuditQ("", std::nullopt, first->next_page_token, 2));
  ASSERT_TRUE(second.ok());
  EXPECT_THAT(Actors(*second), ElementsAre("sam", "maria"));
  EXPECT_TRUE(second->next_page_token.empty());
  EXPECT_EQ(audit.List(AuditQ("", std::nullopt, "garbage")).status().code(),
            absl::StatusCode::kInvalidArgument);

  absl::StatusOr<int64_t> purged = audit.PurgeBefore(kT0 - absl::Minutes(90));
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 2);
  absl::StatusOr<AuditPage> left = audit.List({});
  ASSERT_TRUE(left.ok());
  EXPECT_THAT(Actors(*left), ElementsAre("ops-admin", "maria"));
}

TEST_P(CollectorWorkflowStoreTest, TasksAreCreatedListedUpdatedAndQueried) {
  WorkflowStore tables(store_.get());
  absl::StatusOr<AccountTask> call =
      tables.CreateTask(Task("acme", "Call the champion", "maria", kDay0 + 3), kT0);
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_FALSE(call->task_id.empty());
  EXPECT_EQ(call->created_at, kT0);
  ASSERT_TRUE(
      tables.CreateTask(Task("acme", "Send the QBR deck", "", std::nullopt), kT0 + absl::Seconds(1))
          .ok());
  ASSERT_TRUE(
      tables.CreateTask(Task("globex", "Renewal call", "maria", kDay0 + 1), kT0 + absl::Seconds(2))
          .ok());
  ASSERT_TRUE(
      tables.CreateTask(Task("initech", "Check seats", "sam", kDay0 + 2), kT0 + absl::Seconds(3))
          .ok());

  absl::StatusOr<std::vector<AccountTask>> acme = tables.ListTasks("acme", 100);
  ASSERT_TRUE(acme.ok());
  EXPECT_THAT(Titles(*acme), ElementsAre("Send the QBR deck", "Call the champion"));
  EXPECT_FALSE((*acme)[0].due.has_value());
  EXPECT_EQ((*acme)[1].due, kDay0 + 3);
  EXPECT_EQ((*acme)[1].created_by, "maria");

  // "My tasks": soonest due first.
  absl::StatusOr<TaskPage> mine = tables.QueryTasks(TaskQ("maria"));
  ASSERT_TRUE(mine.ok());
  EXPECT_THAT(Titles(mine->tasks), ElementsAre("Renewal call", "Call the champion"));

  // Done, reassigned and undated in one update; the rest stays.
  TaskUpdate update;
  update.done = true;
  update.owner = "sam";
  update.due = std::optional<int64_t>();
  absl::StatusOr<std::optional<AccountTask>> updated =
      tables.UpdateTask("acme", call->task_id, update, kT0 + absl::Hours(1));
  ASSERT_TRUE(updated.ok()) << updated.status();
  ASSERT_TRUE(updated->has_value());
  EXPECT_TRUE((*updated)->done);
  EXPECT_EQ((*updated)->owner, "sam");
  EXPECT_FALSE((*updated)->due.has_value());
  EXPECT_EQ((*updated)->title, "Call the champion");
  EXPECT_EQ((*updated)->updated_at, kT0 + absl::Hours(1));
  EXPECT_EQ((*updated)->created_at, kT0);
  // Another account's path does not reach the task.
  absl::StatusOr<std::optional<AccountTask>> elsewhere =
      tables.UpdateTask("globex", call->task_id, update, kT0);
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_FALSE(elsewhere->has_value());

  absl::StatusOr<TaskPage> open = tables.QueryTasks(TaskQ(std::nullopt, false));
  ASSERT_TRUE(open.ok());
  // Dated ones by date, the undated one last.
  EXPECT_THAT(Titles(open->tasks), ElementsAre("Renewal call", "Check seats", "Send the QBR deck"));
  absl::StatusOr<TaskPage> due = tables.QueryTasks(TaskQ(std::nullopt, std::nullopt, kDay0 + 2));
  ASSERT_TRUE(due.ok());
  EXPECT_THAT(Titles(due->tasks), ElementsAre("Renewal call"));
  absl::StatusOr<TaskPage> done = tables.QueryTasks(TaskQ("sam", true));
  ASSERT_TRUE(done.ok());
  EXPECT_THAT(Titles(done->tasks), ElementsAre("Call the champion"));

  // Pages of one through all four, undated ones included.
  std::vector<std::string> paged;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    absl::StatusOr<TaskPage> p =
        tables.QueryTasks(TaskQ(std::nullopt, std::nullopt, std::nullopt, cursor, 1));
    ASSERT_TRUE(p.ok()) << p.status();
    for (const AccountTask& t : p->tasks) paged.push_back(t.title);
    cursor = p->next_page_token;
    if (cursor.empty()) break;
  }
  // The two undated ones follow by id (random): the pages read as one query does.
  absl::StatusOr<TaskPage> whole = tables.QueryTasks(TaskQ(std::nullopt));
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(paged, Titles(whole->tasks));
  ASSERT_EQ(paged.size(), 4u);
  EXPECT_THAT(std::vector<std::string>(paged.begin(), paged.begin() + 2),
              ElementsAre("Renewal call", "Check seats"));
  EXPECT_THAT(paged, UnorderedElementsAre("Renewal call", "Check seats", "Send the QBR deck",
                                          "Call the champion"));
  EXPECT_EQ(tables.QueryTasks(TaskQ(std::nullopt, std::nullopt, std::nullopt, "x")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(CollectorWorkflowStoreTest, NotesAndAnAccountsDeletion) {
  WorkflowStore tables(store_.get());
  AccountNote note;
  note.account_id = "acme";
  note.text = "Renewal budget approved.\nSecond line.";
  note.author = "maria";
  ASSERT_TRUE(tables.CreateNote(note, kT0).ok());
  note.text = "QBR moved to March.";
  ASSERT_TRUE(tables.CreateNote(note, kT0 + absl::Minutes(1)).ok());
  note.account_id = "globex";
  ASSERT_TRUE(tables.CreateNote(note, kT0).ok());
  ASSERT_TRUE(tables.CreateTask(Task("acme", "Follow up", "maria", std::nullopt), kT0).ok());

  absl::StatusOr<std::vector<AccountNote>> notes = tables.ListNotes("acme", 100);
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 2u);
  EXPECT_EQ((*notes)[0].text, "QBR moved to March.");
  EXPECT_EQ((*notes)[1].text, "Renewal budget approved.\nSecond line.");
  EXPECT_EQ((*notes)[1].author, "maria");

  absl::StatusOr<WorkflowStore::Deleted> deleted = tables.DeleteAccount("acme");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->tasks, 1);
  EXPECT_EQ(deleted->notes, 2);
  absl::StatusOr<std::vector<AccountNote>> none = tables.ListNotes("acme", 100);
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
  absl::StatusOr<std::vector<AccountNote>> globex = tables.ListNotes("globex", 100);
  ASSERT_TRUE(globex.ok());
  EXPECT_EQ(globex->size(), 1u);
}

TEST_P(CollectorWorkflowStoreTest, ErasureLeavesTheTablesWithoutUserIdsAlone) {
  // The tables have no user column: a user's erasure neither needs to nor
  // does touch them, and none of their columns is named for a user.
  Write({MakeGrant("acme", "u1", cairn::v1::PURPOSE_USAGE_ANALYTICS), MakeLogin("acme", "u1")});
  WorkflowStore tables(store_.get());
  ASSERT_TRUE(tables.CreateTask(Task("acme", "Onboard the team", "maria", std::nullopt), kT0).ok());
  ASSERT_TRUE(AuditStore(store_.get()).Append(Entry("maria", kT0)).ok());
  ASSERT_TRUE(store_->EraseUser("u1", kT0).ok());
  EXPECT_EQ(QueryInt("SELECT count(*) FROM account_tasks"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM admin_audit"), 1);
  for (const char* table : {"admin_audit", "account_tasks", "account_notes"}) {
    const std::string sql =
        std::string("SELECT count(*) FROM ") +
        (GetParam() == StoreKind::kSqlite
             ? "pragma_table_info(?1) WHERE name LIKE '%user%'"
             : "information_schema.columns WHERE table_name = ?1 AND column_name LIKE '%user%'");
    EXPECT_EQ(QueryInt(sql, table), 0) << table;
  }
  // A task names an alert only if the alert is the account's.
  absl::StatusOr<bool> known = tables.AlertOfAccount("acme", "no-such-alert");
  ASSERT_TRUE(known.ok()) << known.status();
  EXPECT_FALSE(*known);
}

}  // namespace
}  // namespace cairn::collector
