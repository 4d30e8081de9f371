#ifndef CAIRN_COLLECTOR_STORE_WORKFLOW_STORE_H_
#define CAIRN_COLLECTOR_STORE_WORKFLOW_STORE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/engagement/day.h"
#include "store/store.h"

namespace cairn::collector {

// A follow-up on an account (table account_tasks), by hand or from an alert.
struct AccountTask {
  std::string task_id;  // set by CreateTask
  std::string account_id;
  std::string title;  // 1-200 bytes of UTF-8 (the API checks)
  std::string owner;  // a token name; empty: nobody yet
  std::optional<engagement::DayIndex> due;
  bool done = false;
  std::string created_by;  // the creating token's name
  absl::Time created_at = absl::UnixEpoch();
  absl::Time updated_at = absl::UnixEpoch();
  std::optional<std::string> alert_id;
};

// A free-text note on an account (table account_notes). The text may hold
// personal data the vendor typed: see docs/privacy.md.
struct AccountNote {
  std::string note_id;  // set by CreateNote
  std::string account_id;
  std::string text;    // 1-4096 bytes of UTF-8 (the API checks)
  std::string author;  // the writing token's name
  absl::Time created_at = absl::UnixEpoch();
};

// What PATCH changes of a task; unset fields stay.
struct TaskUpdate {
  std::optional<bool> done;
  std::optional<std::string> owner;
  std::optional<std::optional<engagement::DayIndex>> due;  // inner nullopt clears
};

// Which tasks QueryTasks returns (any account): by owner, status and due
// day, soonest due first (no due date last), then id; at most `limit`
// after the cursor `after` (a previous page's next_page_token).
struct TaskQuery {
  std::optional<std::string> owner;
  std::optional<bool> done;
  std::optional<engagement::DayIndex> due_before;  // due strictly before this day
  std::string after;
  size_t limit = 100;
};

// One page of tasks.
struct TaskPage {
  std::vector<AccountTask> tasks;
  std::string next_page_token;  // empty at the end
};

// The tasks and notes tables over a Store's engagement SQL surface (SQLite
// and PostgreSQL alike). Each method is one statement or one transaction;
// fails with the store's error (Unavailable when busy), InvalidArgument for
// a malformed cursor, DataLoss for a row that does not parse. Thread-safe
// as the Store is.
class WorkflowStore {
 public:
  explicit WorkflowStore(Store* store) : store_(store) {}

  // Stores a new task under a fresh random id; returns it as stored.
  // Cost: one insert.
  absl::StatusOr<AccountTask> CreateTask(AccountTask task, absl::Time now);
  // The account's tasks, newest first, at most `limit`. Cost: an index read.
  absl::StatusOr<std::vector<AccountTask>> ListTasks(std::string_view account_id, size_t limit);
  // Applies `update` to one task of the account; nullopt if there is none.
  // Cost: one update and one read, in one transaction.
  absl::StatusOr<std::optional<AccountTask>> UpdateTask(std::string_view account_id,
                                                        std::string_view task_id,
                                                        const TaskUpdate& update, absl::Time now);
  // A page of tasks across accounts. Cost: an index range read.
  absl::StatusOr<TaskPage> QueryTasks(const TaskQuery& query);

  // True if alert `alert_id` exists and is one of `account_id`'s (a task made
  // from an alert names it). Cost: one primary-key read of the alerts.
  absl::StatusOr<bool> AlertOfAccount(std::string_view account_id, std::string_view alert_id);

  // Stores a new note under a fresh random id. Cost: one insert.
  absl::StatusOr<AccountNote> CreateNote(AccountNote note, absl::Time now);
  // The account's notes, newest first, at most `limit`. Cost: an index read.
  absl::StatusOr<std::vector<AccountNote>> ListNotes(std::string_view account_id, size_t limit);

  // What DeleteAccount removed.
  struct Deleted {
    int64_t tasks = 0;
    int64_t notes = 0;
  };
  // Deletes every task and note of the account in one transaction.
  absl::StatusOr<Deleted> DeleteAccount(std::string_view account_id);

 private:
  Store* const store_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_WORKFLOW_STORE_H_
