#include "cli_format_access.h"

#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli_format.h"

namespace cairn::cli {
namespace {

// A server string for the terminal; "-" when empty.
std::string Cell(std::string_view text) { return text.empty() ? "-" : TerminalSafe(text); }

// A string-or-null value; "-" for null.
std::string Cell(const google::protobuf::Value& value) {
  return value.has_string_value() ? Cell(value.string_value()) : "-";
}

}  // namespace

std::string FormatTasks(const admin::v1::TaskList& answer) {
  if (answer.tasks().empty()) return "no tasks\n";
  TextTable table({"TASK", "ACCOUNT", "TITLE", "OWNER", "DUE", "STATUS", "FROM ALERT"});
  for (const admin::v1::Task& t : answer.tasks()) {
    table.AddRow({Cell(t.task_id()), Cell(t.account_id()), Cell(t.title()), Cell(t.owner()),
                  Cell(t.due()), Cell(t.status()), Cell(t.alert_id())});
  }
  std::string out = table.Render();
  if (!answer.next_page_token().empty()) {
    absl::StrAppend(&out, "(more: --page-token ", TerminalSafe(answer.next_page_token()), ")\n");
  }
  return out;
}

std::string FormatTask(const admin::v1::Task& task) {
  return absl::StrCat("task ", Cell(task.task_id()), " on ", Cell(task.account_id()), ": ",
                      Cell(task.title()), "\n  owner ", Cell(task.owner()), ", due ",
                      Cell(task.due()), ", ", Cell(task.status()), ", created by ",
                      Cell(task.created_by()), "\n");
}

std::string FormatNote(const admin::v1::Note& note) {
  std::string out = absl::StrCat(Cell(note.created_at()), "  ", Cell(note.author()), "  (note ",
                                 Cell(note.note_id()), ")\n");
  // TerminalSafe keeps no newline, so each line of the text is made safe on
  // its own.
  std::string_view text = note.text();
  while (!text.empty()) {
    size_t end = text.find('\n');
    absl::StrAppend(&out, "  ", TerminalSafe(text.substr(0, end)), "\n");
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  return out;
}

std::string FormatNotes(const admin::v1::NoteList& answer) {
  if (answer.notes().empty()) return "no notes\n";
  std::string out;
  for (const admin::v1::Note& n : answer.notes()) absl::StrAppend(&out, FormatNote(n));
  return out;
}

std::string FormatAudit(const admin::v1::AuditPage& answer) {
  if (answer.entries().empty()) return "no audit entries\n";
  TextTable table({"WHEN", "ACTOR", "ROLE", "METHOD", "ROUTE", "ACCOUNT", "STATUS"},
                  {false, false, false, false, false, false, true});
  for (const admin::v1::AuditEntry& e : answer.entries()) {
    table.AddRow({Cell(e.at()), Cell(e.actor()), Cell(e.role()), Cell(e.method()), Cell(e.route()),
                  Cell(e.account_id()), absl::StrCat(e.status())});
  }
  std::string out = table.Render();
  if (!answer.next_page_token().empty()) {
    absl::StrAppend(&out, "(more: --page-token ", TerminalSafe(answer.next_page_token()), ")\n");
  }
  return out;
}

std::string FormatTokens(const admin::v1::AdminTokenList& answer) {
  TextTable table({"NAME", "ROLE", "FINGERPRINT"});
  for (const admin::v1::AdminToken& t : answer.tokens()) {
    table.AddRow({Cell(t.name()), Cell(t.role()), Cell(t.fingerprint())});
  }
  return table.Render();
}

std::string FormatWhoAmI(const admin::v1::WhoAmI& answer) {
  return absl::StrCat(Cell(answer.name()), " (role ", Cell(answer.role()), ")\n");
}

}  // namespace cairn::cli
