#include "store/workflow_store.h"

#include <array>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cairn/common/uuid.h"
#include "store/sql_rows.h"

namespace cairn::collector {
namespace {

constexpr char kTaskColumns[] =
    "task_id, account_id, title, owner, due_day, status, created_by, created_at_ms, "
    "updated_at_ms, alert_id";
constexpr char kNoteColumns[] = "note_id, account_id, text, author, created_at_ms";
// Tasks without a due day sort after every dated one (one rule in both
// databases, whose NULL orders differ).
constexpr char kDueKey[] = "coalesce(due_day, 9223372036854775807)";
constexpr int64_t kNoDue = std::numeric_limits<int64_t>::max();

std::optional<std::string> OptText(const SqlRow& row, size_t col) {
  if (col < row.size() && row[col]) return *row[col];
  return std::nullopt;
}

absl::StatusOr<AccountTask> ParseTask(const SqlRow& row) {
  SqlRowReader r{row};
  AccountTask t;
  t.task_id = r.Text(0);
  t.account_id = r.Text(1);
  t.title = r.Text(2);
  t.owner = r.Text(3);
  t.due = r.OptInt(4);
  t.done = r.Text(5) == "done";
  t.created_by = r.Text(6);
  t.created_at = absl::FromUnixMillis(r.Int(7));
  t.updated_at = absl::FromUnixMillis(r.Int(8));
  t.alert_id = OptText(row, 9);
  if (!r.ok) return absl::DataLossError("account_tasks: bad row");
  return t;
}

absl::StatusOr<AccountNote> ParseNote(const SqlRow& row) {
  SqlRowReader r{row};
  AccountNote n;
  n.note_id = r.Text(0);
  n.account_id = r.Text(1);
  n.text = r.Text(2);
  n.author = r.Text(3);
  n.created_at = absl::FromUnixMillis(r.Int(4));
  if (!r.ok) return absl::DataLossError("account_notes: bad row");
  return n;
}

SqlValue DueValue(const std::optional<engagement::DayIndex>& due) {
  return due ? SqlValue(int64_t{*due}) : SqlValue(nullptr);
}

absl::Time Millis(absl::Time t) { return absl::FromUnixMillis(absl::ToUnixMillis(t)); }

}  // namespace

absl::StatusOr<AccountTask> WorkflowStore::CreateTask(AccountTask task, absl::Time now) {
  task.task_id = RandomHexId();
  task.created_at = task.updated_at = Millis(now);
  const std::array<SqlValue, 10> params = {
      SqlText(task.task_id),    SqlText(task.account_id),   SqlText(task.title),
      SqlText(task.owner),      DueValue(task.due),         SqlText(task.done ? "done" : "open"),
      SqlText(task.created_by), SqlMillis(task.created_at), SqlMillis(task.updated_at),
      SqlOptText(task.alert_id)};
  absl::StatusOr<int64_t> n =
      ExecuteSql(store_,
                 absl::StrCat("INSERT INTO account_tasks (", kTaskColumns,
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
                 params);
  if (!n.ok()) return n.status();
  return task;
}

absl::StatusOr<std::vector<AccountTask>> WorkflowStore::ListTasks(std::string_view account_id,
                                                                  size_t limit) {
  const std::array<SqlValue, 2> params = {SqlText(account_id),
                                          SqlValue(static_cast<int64_t>(limit))};
  return ReadSqlRows<AccountTask>(
      store_,
      absl::StrCat("SELECT ", kTaskColumns,
                   " FROM account_tasks WHERE account_id = ?1"
                   " ORDER BY created_at_ms DESC, task_id DESC LIMIT ?2"),
      params, ParseTask);
}

absl::StatusOr<std::optional<AccountTask>> WorkflowStore::UpdateTask(std::string_view account_id,
                                                                     std::string_view task_id,
                                                                     const TaskUpdate& update,
                                                                     absl::Time now) {
  std::optional<AccountTask> out;
  absl::Status s = store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    // Each column keeps its value unless the update names it (flag 1).
    const std::array<SqlValue, 9> params = {SqlText(account_id),
                                            SqlText(task_id),
                                            SqlValue(int64_t{update.done.has_value()}),
                                            SqlText(update.done.value_or(false) ? "done" : "open"),
                                            SqlValue(int64_t{update.owner.has_value()}),
                                            SqlText(update.owner.value_or("")),
                                            SqlValue(int64_t{update.due.has_value()}),
                                            DueValue(update.due.value_or(std::nullopt)),
                                            SqlMillis(now)};
    absl::StatusOr<int64_t> changed = sql.Execute(
        "UPDATE account_tasks SET"
        " status = CASE WHEN ?3 = 1 THEN ?4 ELSE status END,"
        " owner = CASE WHEN ?5 = 1 THEN ?6 ELSE owner END,"
        " due_day = CASE WHEN ?7 = 1 THEN ?8 ELSE due_day END,"
        " updated_at_ms = ?9"
        " WHERE account_id = ?1 AND task_id = ?2",
        params);
    if (!changed.ok()) return changed.status();
    if (*changed == 0) return absl::OkStatus();
    const std::array<SqlValue, 2> key = {SqlText(account_id), SqlText(task_id)};
    absl::StatusOr<std::vector<SqlRow>> rows =
        sql.Query(absl::StrCat("SELECT ", kTaskColumns,
                               " FROM account_tasks WHERE account_id = ?1 AND task_id = ?2"),
                  key);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return absl::DataLossError("account_tasks: updated row vanished");
    absl::StatusOr<AccountTask> task = ParseTask(rows->front());
    if (!task.ok()) return task.status();
    out = *std::move(task);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<TaskPage> WorkflowStore::QueryTasks(const TaskQuery& query) {
  std::vector<SqlValue> params;
  params.reserve(6);  // no reallocation (and GCC sees no moved-from variant)
  std::string where = "WHERE 1 = 1";
  if (query.owner) {
    params.emplace_back(std::string(*query.owner));
    absl::StrAppend(&where, " AND owner = ?", params.size());
  }
  if (query.done) {
    params.emplace_back(std::string(*query.done ? "done" : "open"));
    absl::StrAppend(&where, " AND status = ?", params.size());
  }
  if (query.due_before) {
    params.emplace_back(int64_t{*query.due_before});
    absl::StrAppend(&where, " AND due_day < ?", params.size());
  }
  if (!query.after.empty()) {
    absl::Status s = AppendKeysetAfter(query.after, kDueKey, "task_id", false, &params, &where);
    if (!s.ok()) return s;
  }
  params.emplace_back(static_cast<int64_t>(query.limit + 1));
  absl::StatusOr<std::vector<AccountTask>> rows = ReadSqlRows<AccountTask>(
      store_,
      absl::StrCat("SELECT ", kTaskColumns, " FROM account_tasks ", where, " ORDER BY ", kDueKey,
                   ", task_id LIMIT ?", params.size()),
      params, ParseTask);
  if (!rows.ok()) return rows.status();
  TaskPage page;
  page.tasks = *std::move(rows);
  if (page.tasks.size() > query.limit) {
    page.tasks.resize(query.limit);
    const AccountTask& last = page.tasks.back();
    page.next_page_token = KeysetCursor(last.due.value_or(kNoDue), last.task_id);
  }
  return page;
}

absl::StatusOr<bool> WorkflowStore::AlertOfAccount(std::string_view account_id,
                                                   std::string_view alert_id) {
  const std::array<SqlValue, 2> params = {SqlText(alert_id), SqlText(account_id)};
  absl::StatusOr<std::vector<bool>> rows =
      ReadSqlRows<bool>(store_, "SELECT 1 FROM alerts WHERE alert_id = ?1 AND account_id = ?2",
                        params, [](const SqlRow&) -> absl::StatusOr<bool> { return true; });
  if (!rows.ok()) return rows.status();
  return !rows->empty();
}

absl::StatusOr<AccountNote> WorkflowStore::CreateNote(AccountNote note, absl::Time now) {
  note.note_id = RandomHexId();
  note.created_at = Millis(now);
  const std::array<SqlValue, 5> params = {SqlText(note.note_id), SqlText(note.account_id),
                                          SqlText(note.text), SqlText(note.author),
                                          SqlMillis(note.created_at)};
  absl::StatusOr<int64_t> n = ExecuteSql(
      store_,
      absl::StrCat("INSERT INTO account_notes (", kNoteColumns, ") VALUES (?1, ?2, ?3, ?4, ?5)"),
      params);
  if (!n.ok()) return n.status();
  return note;
}

absl::StatusOr<std::vector<AccountNote>> WorkflowStore::ListNotes(std::string_view account_id,
                                                                  size_t limit) {
  const std::array<SqlValue, 2> params = {SqlText(account_id),
                                          SqlValue(static_cast<int64_t>(limit))};
  return ReadSqlRows<AccountNote>(
      store_,
      absl::StrCat("SELECT ", kNoteColumns,
                   " FROM account_notes WHERE account_id = ?1"
                   " ORDER BY created_at_ms DESC, note_id DESC LIMIT ?2"),
      params, ParseNote);
}

absl::StatusOr<WorkflowStore::Deleted> WorkflowStore::DeleteAccount(std::string_view account_id) {
  Deleted deleted;
  absl::Status s = store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 1> params = {SqlText(account_id)};
    absl::StatusOr<int64_t> tasks =
        sql.Execute("DELETE FROM account_tasks WHERE account_id = ?1", params);
    if (!tasks.ok()) return tasks.status();
    absl::StatusOr<int64_t> notes =
        sql.Execute("DELETE FROM account_notes WHERE account_id = ?1", params);
    if (!notes.ok()) return notes.status();
    deleted = {*tasks, *notes};
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return deleted;
}

}  // namespace cairn::collector
