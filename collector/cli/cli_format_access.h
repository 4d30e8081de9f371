#ifndef CAIRN_COLLECTOR_CLI_CLI_FORMAT_ACCESS_H_
#define CAIRN_COLLECTOR_CLI_CLI_FORMAT_ACCESS_H_

#include <string>

#include "cairn/admin/v1/access.pb.h"

namespace cairn::cli {

// Text of the access and workflow answers (tasks, notes, the audit log, the
// token list, whoami), pure like cli_format.h: every server string through
// TerminalSafe, missing values as "-". Cost: linear in the answer.

// A task list as a table (id, account, title, owner, due, status).
std::string FormatTasks(const admin::v1::TaskList& answer);
// One task, e.g. after add or done.
std::string FormatTask(const admin::v1::Task& task);
// Notes, newest first: a header line each, then the text indented.
std::string FormatNotes(const admin::v1::NoteList& answer);
// One note after add.
std::string FormatNote(const admin::v1::Note& note);
// The audit log page as a table.
std::string FormatAudit(const admin::v1::AuditPage& answer);
// The token list as a table (name, role, fingerprint).
std::string FormatTokens(const admin::v1::AdminTokenList& answer);
// The caller's token: "NAME (role ROLE)".
std::string FormatWhoAmI(const admin::v1::WhoAmI& answer);

}  // namespace cairn::cli

#endif  // CAIRN_COLLECTOR_CLI_CLI_FORMAT_ACCESS_H_
