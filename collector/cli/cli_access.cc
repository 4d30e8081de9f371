#include "cli_access.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "auth/admin_role.h"
#include "auth/write_key_set.h"
#include "cairn/admin/v1/access.pb.h"
#include "cairn/common/crypto.h"
#include "cairn/common/uuid.h"
#include "cli_format_access.h"

namespace cairn::cli {
namespace {

// Token names follow the collector's own rule (auth/admin_role.h).
bool IsName(std::string_view name) { return collector::IsValidKeyName(name); }

// The option's text, "" when not given.
std::string OptionOrEmpty(const Args& args, std::string_view name) {
  return TextOption(args, name).value_or("");
}

// "&name=value" for each option given, as query parameters.
void AddQuery(const Args& args, std::string_view option, std::string_view param,
              std::string* query) {
  auto it = args.options.find(option);
  if (it == args.options.end()) return;
  absl::StrAppend(query, query->empty() ? "?" : "&", ToAbsl(param), "=", Encode(it->second));
}

int Tasks(Command& command, const Args& args) {
  const std::vector<std::string>& pos = args.positional;
  std::string bad;
  if (pos.size() < 2) return Usage("tasks list|add|done", "tasks");
  if (pos[1] == "list" && pos.size() <= 3 &&
      OnlyOptions(args, {"--owner", "--status", "--due-before", "--limit", "--page-token"}, &bad)) {
    if (pos.size() == 3) {
      for (std::string_view filter :
           {"--owner", "--status", "--due-before", "--limit", "--page-token"}) {
        if (args.options.contains(filter)) {
          return Usage("an account's task list takes no filter", "tasks");
        }
      }
      return command.Run<admin::v1::TaskList>("GET", "/v1/accounts/" + Encode(pos[2]) + "/tasks",
                                              nullptr, FormatTasks);
    }
    std::string status = OptionOrEmpty(args, "--status");
    if (status.empty()) status = "open";
    if (status != "open" && status != "done" && status != "all") {
      return Usage("--status must be open, done or all", "tasks");
    }
    std::string due = OptionOrEmpty(args, "--due-before");
    if (!due.empty() && !IsDate(due)) return Usage("--due-before must be YYYY-MM-DD", "tasks");
    std::string owner = OptionOrEmpty(args, "--owner");
    if (args.options.contains("--owner") && !IsName(owner)) {
      return Usage("--owner must be a token name", "tasks");
    }
    std::string query = "?status=" + status;
    AddQuery(args, "--owner", "owner", &query);
    AddQuery(args, "--due-before", "due_before", &query);
    AddQuery(args, "--limit", "limit", &query);
    AddQuery(args, "--page-token", "page_token", &query);
    return command.Run<admin::v1::TaskList>("GET", "/v1/tasks" + query, nullptr, FormatTasks);
  }
  if (pos[1] == "add" && pos.size() == 3 &&
      OnlyOptions(args, {"--title", "--owner", "--due", "--alert"}, &bad)) {
    admin::v1::CreateTaskRequest task;
    task.set_title(OptionOrEmpty(args, "--title"));
    if (task.title().empty()) return Usage("tasks add needs --title", "tasks");
    task.set_owner(OptionOrEmpty(args, "--owner"));
    if (!task.owner().empty() && !IsName(task.owner())) {
      return Usage("--owner must be a token name", "tasks");
    }
    if (std::string due = OptionOrEmpty(args, "--due"); !due.empty()) {
      if (!IsDate(due)) return Usage("--due must be YYYY-MM-DD", "tasks");
      task.mutable_due()->set_string_value(due);
    }
    task.set_alert_id(OptionOrEmpty(args, "--alert"));
    std::string body = BodyJson(task);
    return command.Run<admin::v1::Task>("POST", "/v1/accounts/" + Encode(pos[2]) + "/tasks", &body,
                                        FormatTask);
  }
  if (pos[1] == "done" && pos.size() == 4 && OnlyOptions(args, {}, &bad)) {
    admin::v1::UpdateTaskRequest update;
    update.set_status("done");
    std::string body = BodyJson(update);
    return command.Run<admin::v1::Task>(
        "PATCH", "/v1/accounts/" + Encode(pos[2]) + "/tasks/" + Encode(pos[3]), &body, FormatTask);
  }
  return Usage(bad.empty() ? "bad arguments" : "unknown option " + bad, "tasks");
}

int Notes(Command& command, const Args& args) {
  const std::vector<std::string>& pos = args.positional;
  std::string bad;
  if (pos.size() != 3) return Usage("notes list|add ID", "notes");
  const std::string path = "/v1/accounts/" + Encode(pos[2]) + "/notes";
  if (pos[1] == "list" && OnlyOptions(args, {}, &bad)) {
    return command.Run<admin::v1::NoteList>("GET", path, nullptr, FormatNotes);
  }
  if (pos[1] == "add" && OnlyOptions(args, {"--text"}, &bad)) {
    admin::v1::CreateNoteRequest note;
    note.set_text(OptionOrEmpty(args, "--text"));
    if (note.text().empty()) return Usage("notes add needs --text", "notes");
    std::string body = BodyJson(note);
    return command.Run<admin::v1::Note>("POST", path, &body, FormatNote);
  }
  return Usage(bad.empty() ? "bad arguments" : "unknown option " + bad, "notes");
}

int Audit(Command& command, const Args& args) {
  std::string bad;
  if (args.positional.size() != 1 ||
      !OnlyOptions(args, {"--actor", "--since", "--limit", "--page-token"}, &bad)) {
    return Usage(bad.empty() ? "audit takes no arguments" : "unknown option " + bad, "audit");
  }
  if (args.options.contains("--actor") && !IsName(OptionOrEmpty(args, "--actor"))) {
    return Usage("--actor must be a token name", "audit");
  }
  if (args.options.contains("--since") && !IsDate(OptionOrEmpty(args, "--since"))) {
    return Usage("--since must be YYYY-MM-DD", "audit");
  }
  std::string query;
  AddQuery(args, "--actor", "actor", &query);
  AddQuery(args, "--since", "since", &query);
  AddQuery(args, "--limit", "limit", &query);
  AddQuery(args, "--page-token", "page_token", &query);
  return command.Run<admin::v1::AuditPage>("GET", "/v1/admin/audit" + query, nullptr, FormatAudit);
}

// The key file's lines, or nullopt (after saying why) if it cannot be read.
std::optional<std::vector<std::string>> ReadLines(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "cairnctl: cannot read " << path << "\n";
    return std::nullopt;
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Replaces `path` by `lines` at once (a new file renamed over it, mode
// 0600), so a collector reloading meanwhile sees the old or the new file.
bool WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  const std::string temp = path + ".cairnctl-new";
  {
    std::ofstream out(temp, std::ios::trunc);
    for (const std::string& line : lines) out << line << "\n";
    if (!out.flush()) {
      std::cerr << "cairnctl: cannot write " << temp << "\n";
      return false;
    }
  }
  ::chmod(temp.c_str(), 0600);
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::cerr << "cairnctl: cannot replace " << path << "\n";
    return false;
  }
  return true;
}

int NewToken(const Args& args) {
  const std::string name = OptionOrEmpty(args, "--name");
  const std::string role = OptionOrEmpty(args, "--role");
  if (!IsName(name)) return Usage("--name must be 1-64 bytes of [A-Za-z0-9._-]", "token");
  std::optional<collector::AdminRole> parsed = collector::ParseAdminRole(role);
  if (!parsed) return Usage("--role must be admin, csm or read", "token");
  // 256 bits from the OS's entropy source.
  const std::string token = "cairn_" + RandomHexId() + RandomHexId();
  const std::string line = collector::WriteKeySet::KeyFileLine(Sha256(token), {name, *parsed});
  const std::string file = OptionOrEmpty(args, "--key-file");
  if (!file.empty()) {
    std::vector<std::string> lines;
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0) {
      std::optional<std::vector<std::string>> read = ReadLines(file);
      if (!read) return kFailed;
      lines = *std::move(read);
    }
    lines.push_back(line);
    if (!WriteLines(file, lines)) return kFailed;
  }
  std::cout << "token: " << token << "\n"
            << "key-file line: " << line << "\n"
            << (file.empty() ? "add the line to the collector's --admin-token-file"
                             : "added to " + file)
            << ", then reload its keys (kill -HUP). The token is shown only now.\n";
  return kOk;
}

int RevokeToken(const Args& args) {
  const std::vector<std::string>& pos = args.positional;
  const std::string file = OptionOrEmpty(args, "--key-file");
  if (pos.size() != 3 || file.empty()) return Usage("token revoke NAME --key-file FILE", "token");
  std::optional<std::vector<std::string>> lines = ReadLines(file);
  if (!lines) return kFailed;
  std::vector<std::string> kept;
  int removed = 0;
  for (const std::string& line : *lines) {
    std::vector<absl::string_view> fields =
        absl::StrSplit(absl::StripAsciiWhitespace(line), absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() >= 2 && fields[0][0] != '#' && fields[1] == pos[2]) {
      ++removed;
    } else {
      kept.push_back(line);
    }
  }
  if (removed == 0) {
    std::cerr << "cairnctl: no token named " << TerminalSafe(pos[2]) << " in " << file << "\n";
    return kFailed;
  }
  if (!WriteLines(file, kept)) return kFailed;
  std::cout << "removed " << removed << " line(s) of " << TerminalSafe(pos[2]) << " from " << file
            << "; reload the collector's keys (kill -HUP) to revoke\n";
  return kOk;
}

}  // namespace

bool IsLocalTokenCommand(const Args& args) {
  const std::vector<std::string>& pos = args.positional;
  return pos.size() >= 2 && pos[0] == "token" && (pos[1] == "new" || pos[1] == "revoke");
}

int RunLocalTokenCommand(const Args& args) {
  std::string bad;
  if (args.positional[1] == "new") {
    if (args.positional.size() != 2 ||
        !OnlyOptions(args, {"--name", "--role", "--key-file"}, &bad)) {
      return Usage(bad.empty() ? "token new takes no ids" : "unknown option " + bad, "token");
    }
    return NewToken(args);
  }
  if (!OnlyOptions(args, {"--key-file"}, &bad)) return Usage("unknown option " + bad, "token");
  return RevokeToken(args);
}

int RunAccessCommand(Command& command, const Args& args) {
  const std::string& name = args.positional[0];
  if (name == "tasks") return Tasks(command, args);
  if (name == "notes") return Notes(command, args);
  if (name == "audit") return Audit(command, args);
  std::string bad;
  if (name == "whoami") {
    if (args.positional.size() != 1 || !OnlyOptions(args, {}, &bad)) {
      return Usage(bad.empty() ? "whoami takes no arguments" : "unknown option " + bad, "whoami");
    }
    return command.Run<admin::v1::WhoAmI>("GET", "/v1/whoami", nullptr, FormatWhoAmI);
  }
  if (args.positional.size() != 2 || args.positional[1] != "list" || !OnlyOptions(args, {}, &bad)) {
    return Usage("token new|list|revoke", "token");
  }
  return command.Run<admin::v1::AdminTokenList>("GET", "/v1/admin/tokens", nullptr, FormatTokens);
}

}  // namespace cairn::cli
