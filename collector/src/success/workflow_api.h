#ifndef CAIRN_COLLECTOR_SUCCESS_WORKFLOW_API_H_
#define CAIRN_COLLECTOR_SUCCESS_WORKFLOW_API_H_

#include <string>
#include <string_view>

#include "auth/admin_role.h"
#include "cairn/common/clock.h"
#include "http/http_types.h"
#include "store/store.h"

namespace cairn::collector {

// Tasks and notes per account (docs/collector.md; messages in
// proto/cairn/admin/v1/access.proto), served through AdminApi (its worker,
// token and role checks, 404 when the admin API is off):
//
//   GET|POST /v1/accounts/{id}/tasks                 newest first / create
//   PATCH    /v1/accounts/{id}/tasks/{task_id}       status, owner, due
//   GET      /v1/tasks[?owner=&status=&due_before=&limit=&page_token=]
//   GET|POST /v1/accounts/{id}/notes                 newest first / create
//   DELETE   /v1/accounts/{id}/workflow              the account's tasks and notes
//
// Thread-safe; handlers run on the admin worker thread.
class WorkflowApi {
 public:
  // Pointers must outlive the API.
  WorkflowApi(Store* store, Clock* clock) : store_(store), clock_(clock) {}

  // True for the paths this API serves. Free.
  static bool IsWorkflowPath(std::string_view path);
  // The methods `path` accepts ("GET, POST", ...); empty if no route.
  static std::string AllowedMethods(std::string_view path);

  // Handles a complete request whose method, token, role and size were
  // checked; `caller` (the token's label) is recorded as the creator or
  // author. Errors are text: 400 naming the field, 404 for an unknown task,
  // 503 when the store fails. Cost: one or two store statements.
  HttpResponse Handle(const HttpRequest& request, const KeyLabel& caller);

 private:
  HttpResponse ListTasks(const std::string& account_id);
  HttpResponse CreateTask(const std::string& account_id, const HttpRequest& request,
                          const KeyLabel& caller);
  HttpResponse UpdateTask(const std::string& account_id, const std::string& task_id,
                          const HttpRequest& request);
  HttpResponse QueryTasks(const HttpRequest& request);
  HttpResponse ListNotes(const std::string& account_id);
  HttpResponse CreateNote(const std::string& account_id, const HttpRequest& request,
                          const KeyLabel& caller);
  HttpResponse DeleteWorkflow(const std::string& account_id);

  Store* const store_;
  Clock* const clock_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_SUCCESS_WORKFLOW_API_H_
