#include "success/workflow_api.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cairn/admin/v1/access.pb.h"
#include "cairn/common/event_rules.h"
#include "cairn/common/strings.h"
#include "http/proto_json.h"
#include "http/route_table.h"
#include "ops/json_text.h"
#include "ops/log.h"
#include "store/workflow_store.h"
#include "success/engagement_views.h"

namespace cairn::collector {
namespace {

using engagement::DayIndex;

constexpr size_t kMaxTitleBytes = 200;
constexpr size_t kMaxNoteBytes = 4096;
// Most tasks or notes one account's list shows (newest first).
constexpr size_t kMaxListed = 1000;
constexpr size_t kDefaultTasksPage = 100;

enum class Route { kNone, kTasks, kTask, kAllTasks, kNotes, kWorkflow };

const RouteTable& WorkflowRoutes() {
  static const RouteTable* const table = [] {
    auto* routes = new RouteTable;
    routes->Add("/v1/accounts/{id}/tasks", "GET, POST", static_cast<int>(Route::kTasks));
    routes->Add("/v1/accounts/{id}/tasks/{task_id}", "PATCH", static_cast<int>(Route::kTask));
    routes->Add("/v1/tasks", "GET", static_cast<int>(Route::kAllTasks));
    routes->Add("/v1/accounts/{id}/notes", "GET, POST", static_cast<int>(Route::kNotes));
    routes->Add("/v1/accounts/{id}/workflow", "DELETE", static_cast<int>(Route::kWorkflow));
    return routes;
  }();
  return *table;
}

const auto Error = EngagementError;
const auto StoreFailure = EngagementStoreFailure;

std::optional<std::string> DecodeId(std::string_view raw) {
  std::optional<std::string> id = PercentDecode(raw);
  if (!id || !IsValidId(*id)) return std::nullopt;
  return id;
}

google::protobuf::Value DueValue(const std::optional<DayIndex>& due) {
  return StringOrNull(due ? std::optional<std::string>(DateText(*due)) : std::nullopt);
}

admin::v1::Task TaskMessage(const AccountTask& t) {
  admin::v1::Task out;
  out.set_task_id(t.task_id);
  out.set_account_id(t.account_id);
  out.set_title(t.title);
  out.set_owner(t.owner);
  *out.mutable_due() = DueValue(t.due);
  out.set_status(t.done ? "done" : "open");
  out.set_created_by(t.created_by);
  out.set_created_at(FormatRfc3339(t.created_at));
  out.set_updated_at(FormatRfc3339(t.updated_at));
  *out.mutable_alert_id() = StringOrNull(t.alert_id);
  return out;
}

admin::v1::Note NoteMessage(const AccountNote& n) {
  admin::v1::Note out;
  out.set_note_id(n.note_id);
  out.set_account_id(n.account_id);
  out.set_text(n.text);
  out.set_author(n.author);
  out.set_created_at(FormatRfc3339(n.created_at));
  return out;
}

// A due date from a JSON value: "YYYY-MM-DD" or null (nullopt inside).
absl::StatusOr<std::optional<DayIndex>> ParseDue(const google::protobuf::Value& value) {
  if (value.has_null_value()) return std::optional<DayIndex>();
  std::optional<DayIndex> day;
  if (value.has_string_value()) day = ParseDateText(value.string_value());
  if (!day) return absl::InvalidArgumentError("due must be \"YYYY-MM-DD\" or null");
  return day;
}

// An owner: "" (nobody) or a token name.
bool IsValidOwner(std::string_view owner) { return owner.empty() || IsValidKeyName(owner); }

constexpr std::string_view kOwnerRule =
    "owner must be a token name (1-64 bytes of [A-Za-z0-9._-]) or \"\"";

}  // namespace

bool WorkflowApi::IsWorkflowPath(std::string_view path) {
  return WorkflowRoutes().Match(path).has_value();
}

std::string WorkflowApi::AllowedMethods(std::string_view path) {
  std::optional<RouteMatch> match = WorkflowRoutes().Match(path);
  return match ? std::string(match->methods) : std::string();
}

HttpResponse WorkflowApi::Handle(const HttpRequest& request, const KeyLabel& caller) {
  std::optional<RouteMatch> match = WorkflowRoutes().Match(request.Path());
  if (!match) return Error(404, "not found");
  const auto route = static_cast<Route>(match->id);
  std::optional<std::string> account;
  if (route != Route::kAllTasks) {
    account = DecodeId(match->params.front());
    if (!account) return Error(400, "account id must be 1-128 printable bytes, %-encoded");
  }
  const bool post = request.method == "POST";
  switch (route) {
    case Route::kTasks:
      return post ? CreateTask(*account, request, caller) : ListTasks(*account);
    case Route::kTask: {
      std::optional<std::string> task = DecodeId(match->params[1]);
      if (!task) return Error(404, "no such task");
      return UpdateTask(*account, *task, request);
    }
    case Route::kAllTasks:
      return QueryTasks(request);
    case Route::kNotes:
      return post ? CreateNote(*account, request, caller) : ListNotes(*account);
    case Route::kWorkflow:
      return DeleteWorkflow(*account);
    case Route::kNone:
      break;
  }
  return Error(404, "not found");
}

HttpResponse WorkflowApi::ListTasks(const std::string& account_id) {
  absl::StatusOr<std::vector<AccountTask>> tasks =
      WorkflowStore(store_).ListTasks(account_id, kMaxListed);
  if (!tasks.ok()) return StoreFailure(tasks.status());
  admin::v1::TaskList out;
  for (const AccountTask& t : *tasks) *out.add_tasks() = TaskMessage(t);
  return AdminJsonResponse(out);
}

HttpResponse WorkflowApi::CreateTask(const std::string& account_id, const HttpRequest& request,
                                     const KeyLabel& caller) {
  admin::v1::CreateTaskRequest body;
  if (absl::Status s = ParseAdminBody(request.body, &body); !s.ok()) {
    return Error(400, ToStd(s.message()));
  }
  AccountTask task;
  task.account_id = account_id;
  if (body.title().empty() || body.title().size() > kMaxTitleBytes || !IsValidUtf8(body.title())) {
    return Error(400, absl::StrCat("title must be 1-", kMaxTitleBytes, " bytes of UTF-8"));
  }
  task.title = body.title();
  if (!IsValidOwner(body.owner())) return Error(400, kOwnerRule);
  task.owner = body.owner();
  if (body.has_due()) {
    absl::StatusOr<std::optional<DayIndex>> due = ParseDue(body.due());
    if (!due.ok()) return Error(400, ToStd(due.status().message()));
    task.due = *due;
  }
  WorkflowStore tables(store_);
  if (!body.alert_id().empty()) {
    if (!IsValidId(body.alert_id())) return Error(400, "alert_id must be an alert's id");
    absl::StatusOr<bool> known = tables.AlertOfAccount(account_id, body.alert_id());
    if (!known.ok()) return StoreFailure(known.status());
    if (!*known) return Error(400, "alert_id names no alert of this account");
    task.alert_id = body.alert_id();
  }
  task.created_by = caller.name;
  absl::StatusOr<AccountTask> stored = tables.CreateTask(std::move(task), clock_->Now());
  if (!stored.ok()) return StoreFailure(stored.status());
  Log(LogLevel::kInfo, "task_created", {{"account", IdRef(account_id)}});
  return AdminJsonResponse(TaskMessage(*stored), 201);
}

HttpResponse WorkflowApi::UpdateTask(const std::string& account_id, const std::string& task_id,
                                     const HttpRequest& request) {
  admin::v1::UpdateTaskRequest body;
  if (absl::Status s = ParseAdminBody(request.body, &body); !s.ok()) {
    return Error(400, ToStd(s.message()));
  }
  TaskUpdate update;
  if (body.has_status()) {
    if (body.status() != "open" && body.status() != "done") {
      return Error(400, "status must be \"open\" or \"done\"");
    }
    update.done = body.status() == "done";
  }
  if (body.has_owner()) {
    if (!IsValidOwner(body.owner())) return Error(400, kOwnerRule);
    update.owner = body.owner();
  }
  if (body.has_due()) {
    absl::StatusOr<std::optional<DayIndex>> due = ParseDue(body.due());
    if (!due.ok()) return Error(400, ToStd(due.status().message()));
    update.due = *due;
  }
  if (!update.done && !update.owner && !update.due) {
    return Error(400, "give at least one of status, owner, due");
  }
  absl::StatusOr<std::optional<AccountTask>> task =
      WorkflowStore(store_).UpdateTask(account_id, task_id, update, clock_->Now());
  if (!task.ok()) return StoreFailure(task.status());
  if (!task->has_value()) return Error(404, "no such task");
  return AdminJsonResponse(TaskMessage(**task));
}

HttpResponse WorkflowApi::QueryTasks(const HttpRequest& request) {
  TaskQuery query;
  query.limit = kDefaultTasksPage;
  if (std::optional<std::string> owner = request.QueryParam("owner")) {
    if (!IsValidOwner(*owner)) return Error(400, kOwnerRule);
    query.owner = *owner;
  }
  if (std::optional<std::string> status = request.QueryParam("status");
      status && *status != "all") {
    if (*status != "open" && *status != "done")
      return Error(400, "status must be open, done or all");
    query.done = *status == "done";
  }
  if (std::optional<std::string> before = request.QueryParam("due_before")) {
    query.due_before = ParseDateText(*before);
    if (!query.due_before) return Error(400, "due_before must be YYYY-MM-DD");
  }
  if (std::optional<std::string> text = request.QueryParam("limit")) {
    uint64_t parsed = 0;
    if (!absl::SimpleAtoi(*text, &parsed) || parsed == 0 || parsed > kMaxListed) {
      return Error(400, absl::StrCat("limit must be 1-", kMaxListed));
    }
    query.limit = static_cast<size_t>(parsed);
  }
  query.after = request.QueryParam("page_token").value_or("");
  absl::StatusOr<TaskPage> page = WorkflowStore(store_).QueryTasks(query);
  if (!page.ok()) {
    if (page.status().code() == absl::StatusCode::kInvalidArgument) {
      return Error(400, "bad page_token");
    }
    return StoreFailure(page.status());
  }
  admin::v1::TaskList out;
  for (const AccountTask& t : page->tasks) *out.add_tasks() = TaskMessage(t);
  out.set_next_page_token(page->next_page_token);
  return AdminJsonResponse(out);
}

HttpResponse WorkflowApi::ListNotes(const std::string& account_id) {
  absl::StatusOr<std::vector<AccountNote>> notes =
      WorkflowStore(store_).ListNotes(account_id, kMaxListed);
  if (!notes.ok()) return StoreFailure(notes.status());
  admin::v1::NoteList out;
  for (const AccountNote& n : *notes) *out.add_notes() = NoteMessage(n);
  return AdminJsonResponse(out);
}

HttpResponse WorkflowApi::CreateNote(const std::string& account_id, const HttpRequest& request,
                                     const KeyLabel& caller) {
  admin::v1::CreateNoteRequest body;
  if (absl::Status s = ParseAdminBody(request.body, &body); !s.ok()) {
    return Error(400, ToStd(s.message()));
  }
  if (body.text().empty() || body.text().size() > kMaxNoteBytes || !IsValidUtf8(body.text())) {
    return Error(400, absl::StrCat("text must be 1-", kMaxNoteBytes, " bytes of UTF-8"));
  }
  AccountNote note;
  note.account_id = account_id;
  note.text = body.text();
  note.author = caller.name;
  absl::StatusOr<AccountNote> stored =
      WorkflowStore(store_).CreateNote(std::move(note), clock_->Now());
  if (!stored.ok()) return StoreFailure(stored.status());
  return AdminJsonResponse(NoteMessage(*stored), 201);
}

HttpResponse WorkflowApi::DeleteWorkflow(const std::string& account_id) {
  absl::StatusOr<WorkflowStore::Deleted> deleted = WorkflowStore(store_).DeleteAccount(account_id);
  if (!deleted.ok()) return StoreFailure(deleted.status());
  Log(LogLevel::kInfo, "account_workflow_deleted",
      {{"account", IdRef(account_id)},
       {"tasks", std::to_string(deleted->tasks)},
       {"notes", std::to_string(deleted->notes)}});
  admin::v1::WorkflowDeleted out;
  out.set_account_id(account_id);
  out.set_tasks_deleted(static_cast<uint32_t>(deleted->tasks));
  out.set_notes_deleted(static_cast<uint32_t>(deleted->notes));
  return AdminJsonResponse(out);
}

}  // namespace cairn::collector
